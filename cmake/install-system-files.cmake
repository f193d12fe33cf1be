# Install-time part of cmake/install.cmake: units, /etc files, sysusers/tmpfiles and the pkg-config file, for the prefix in use.
#
# Runs inside cmake_install.cmake, where CMAKE_INSTALL_PREFIX is the prefix given to
# "cmake --install --prefix" (or the configured one) and file(INSTALL) applies DESTDIR.
# install.cmake sets the QD_* variables before including this file.

# The same special case GNUInstallDirs makes at configure time: prefix /usr keeps its
# configuration in /etc; Debian bookworm's units live in /lib/systemd/system.
string(REGEX REPLACE "/+$" "" _qd_prefix "${CMAKE_INSTALL_PREFIX}")
if(_qd_prefix STREQUAL "/usr")
  set(_qd_sysconfdir "/etc")
  set(_qd_unitdir "/lib/systemd/system")
else()
  set(_qd_sysconfdir "${_qd_prefix}/etc")
  set(_qd_unitdir "${_qd_prefix}/lib/systemd/system")
endif()
if(QD_SYSCONFDIR)
  set(_qd_sysconfdir "${QD_SYSCONFDIR}")
endif()
if(QD_SYSTEMD_UNIT_DIR)
  set(_qd_unitdir "${QD_SYSTEMD_UNIT_DIR}")
endif()

# Substituted into the unit templates and the pkg-config file.
set(QD_INITCONFIGDIR "${_qd_sysconfdir}/default")
set(QD_QNETD_DIR "${_qd_prefix}/${QD_QNETD_BINDIR}")
set(QD_QDEVICE_DIR "${_qd_prefix}/${QD_QDEVICE_BINDIR}")
set(QD_PREFIX "${_qd_prefix}")
# corosync's configuration directory is compiled into the daemons and scripts (/etc/corosync/qnetd/nssdb,
# /etc/corosync/qdevice/net/nssdb), so it does not follow the prefix.
set(QD_CONFDIR "/etc/corosync")

# The daemons this build has (an arbiter-only build has no corosync-qdevice).
set(_qd_daemons "")
if(QD_BUILD_QNETD)
  list(APPEND _qd_daemons corosync-qnetd)
endif()
if(QD_BUILD_QDEVICE)
  list(APPEND _qd_daemons corosync-qdevice)
endif()

# One work directory per DESTDIR and prefix, so parallel installs (the install tests) never share files.
string(MD5 _qd_key "$ENV{DESTDIR}|${_qd_prefix}")
set(_qd_gen "${QD_WORK_DIR}/${_qd_key}")
file(MAKE_DIRECTORY "${_qd_gen}")
foreach(_qd_unit ${_qd_daemons})
  configure_file("${QD_SOURCE_DIR}/systemd/${_qd_unit}.service.in" "${_qd_gen}/${_qd_unit}.service" @ONLY)
  configure_file("${QD_SOURCE_DIR}/systemd/${_qd_unit}-metrics.service.in" "${_qd_gen}/${_qd_unit}-metrics.service" @ONLY)
endforeach()
configure_file("${QD_SOURCE_DIR}/cmake/corosync-qdevice.pc.in" "${_qd_gen}/corosync-qdevice.pc" @ONLY)

set(_qd_rw_r_r OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(_qd_rwx_rx_rx OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

foreach(_qd_unit ${_qd_daemons})
  if(QD_WITH_SYSTEMD)
    file(INSTALL DESTINATION "${_qd_unitdir}" TYPE FILE PERMISSIONS ${_qd_rw_r_r} FILES "${_qd_gen}/${_qd_unit}.service")
    # The metrics writer for node_exporter's textfile collector (doc/monitoring.md §5.3), disabled until enabled.
    file(INSTALL DESTINATION "${_qd_unitdir}" TYPE FILE PERMISSIONS ${_qd_rw_r_r}
      FILES "${_qd_gen}/${_qd_unit}-metrics.service" "${QD_SOURCE_DIR}/systemd/${_qd_unit}-metrics.timer")
  endif()
endforeach()

# /etc/default/<name>: shell-sourceable options files, as Debian ships them.
if(QD_INSTALL_DEFAULTS)
  foreach(_qd_name ${_qd_daemons})
    file(INSTALL DESTINATION "${QD_INITCONFIGDIR}" TYPE FILE PERMISSIONS ${_qd_rw_r_r}
      FILES "${QD_SOURCE_DIR}/systemd/${_qd_name}.default" RENAME "${_qd_name}")
  endforeach()
endif()

# /etc/corosync/qnetd ships empty, 0755, as in Debian; corosync-qnetd-certutil fills nssdb/.
# /etc/corosync/qdevice is not shipped, as on Debian: corosync-qdevice-net-certutil -i creates it.
if(QD_BUILD_QNETD)
  file(MAKE_DIRECTORY "${_qd_gen}/empty/qnetd")
  file(INSTALL DESTINATION "${QD_CONFDIR}" TYPE DIRECTORY DIR_PERMISSIONS ${_qd_rwx_rx_rx}
    FILES "${_qd_gen}/empty/qnetd")
endif()

# Debian's SysV init scripts, conffiles in /etc/init.d.
if(QD_INSTALL_SYSV)
  foreach(_qd_name ${_qd_daemons})
    configure_file("${QD_SOURCE_DIR}/systemd/${_qd_name}.init" "${_qd_gen}/init.d/${_qd_name}" @ONLY)
    file(INSTALL DESTINATION "${_qd_sysconfdir}/init.d" TYPE FILE PERMISSIONS ${_qd_rwx_rx_rx}
      FILES "${_qd_gen}/init.d/${_qd_name}")
  endforeach()
endif()

if(QD_INSTALL_SYSUSERS AND QD_BUILD_QNETD)
  file(INSTALL DESTINATION "${_qd_prefix}/lib/sysusers.d" TYPE FILE PERMISSIONS ${_qd_rw_r_r}
    FILES "${QD_SOURCE_DIR}/systemd/corosync-qnetd.sysusers" RENAME "corosync-qnetd.conf")
endif()
if(QD_INSTALL_TMPFILES)
  foreach(_qd_name ${_qd_daemons})
    file(INSTALL DESTINATION "${_qd_prefix}/lib/tmpfiles.d" TYPE FILE PERMISSIONS ${_qd_rw_r_r}
      FILES "${QD_SOURCE_DIR}/systemd/${_qd_name}.tmpfiles" RENAME "${_qd_name}.conf")
  endforeach()
endif()

# pkg-config file management tools use to find the corosync configuration directory.
if(QD_BUILD_QDEVICE)
  file(INSTALL DESTINATION "${_qd_prefix}/${QD_DATAROOTDIR}/pkgconfig" TYPE FILE PERMISSIONS ${_qd_rw_r_r}
    FILES "${_qd_gen}/corosync-qdevice.pc")
endif()
