# Install rules: every program, script, man page, unit and configuration file at the path Debian uses.
#
# Debian layout:  cmake --install <build> --prefix /usr   (optionally with DESTDIR=...)
#
# Programs, scripts, man pages and the pkg-config file go below the prefix given at install time.
# The system-wide files (units, /etc/default, /etc/corosync/qnetd, sysusers.d, tmpfiles.d) are
# placed by cmake/install-system-files.cmake, which runs at install time so that the paths it
# derives, and the program paths written into the units, follow the prefix actually used
# ("--prefix /usr" gives /etc and /lib/systemd/system, like GNUInstallDirs does for /usr).
include_guard(GLOBAL)
include(GNUInstallDirs)

option(QD_QNETD_IN_SBIN "Install the three qnetd programs into sbin instead of bin (upstream --enable-install-qnetd-in-sbin; Debian: off)" OFF)
option(QD_INSTALL_SYSV "Install Debian's SysV init scripts into <sysconfdir>/init.d" ON)
option(QD_INSTALL_SYSUSERS "Install the sysusers.d file creating the coroqnetd user (Debian creates it in its postinst instead)" ON)
option(QD_INSTALL_TMPFILES "Install the tmpfiles.d files creating /run/corosync-qnetd and /run/corosync-qdevice at boot" ON)
option(QD_INSTALL_DEFAULTS "Install /etc/default/corosync-qnetd and /etc/default/corosync-qdevice (the packages leave them to the administrator)" ON)
set(QD_SYSTEMD_UNIT_DIR "" CACHE PATH
  "Absolute directory for the systemd units; empty: /lib/systemd/system for prefix /usr (Debian bookworm), else <prefix>/lib/systemd/system")
set(QD_SYSCONFDIR "" CACHE PATH "Absolute system configuration directory; empty: /etc for prefix /usr, else <prefix>/etc")

if(QD_QNETD_IN_SBIN)
  set(_qd_qnetd_dir ${CMAKE_INSTALL_SBINDIR})
else()
  set(_qd_qnetd_dir ${CMAKE_INSTALL_BINDIR})
endif()
set(_qd_qdevice_dir ${CMAKE_INSTALL_SBINDIR})

# Daemons and tools. qdevice's are guarded because the tree may be built before they exist; the
# layout test (tests/install) names any file that is missing from the installed tree.
foreach(_qd_target corosync-qnetd corosync-qnetd-tool)
  if(TARGET ${_qd_target})
    install(TARGETS ${_qd_target} RUNTIME DESTINATION ${_qd_qnetd_dir})
  endif()
endforeach()
foreach(_qd_target corosync-qdevice corosync-qdevice-tool)
  if(TARGET ${_qd_target})
    install(TARGETS ${_qd_target} RUNTIME DESTINATION ${_qd_qdevice_dir})
  endif()
endforeach()

# The certificate scripts are generated into the build tree by qnetd/ and qdevice/; OPTIONAL so a
# tree without the qdevice script still installs the rest.
install(PROGRAMS ${CMAKE_BINARY_DIR}/qnetd/corosync-qnetd-certutil DESTINATION ${_qd_qnetd_dir} OPTIONAL)
install(PROGRAMS ${CMAKE_BINARY_DIR}/qdevice/corosync-qdevice-net-certutil DESTINATION ${_qd_qdevice_dir} OPTIONAL)

# Man pages, compressed by man/CMakeLists.txt as Debian ships them (.8.gz).
if(TARGET qd_man_pages)
  get_target_property(_qd_man_files qd_man_pages QD_MAN_GZ_FILES)
  install(FILES ${_qd_man_files} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
endif()

# Everything whose path or content depends on the install-time prefix.
install(CODE "
set(QD_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
set(QD_WORK_DIR \"${CMAKE_BINARY_DIR}/qd-install\")
set(QD_PROJECT_VERSION \"${PROJECT_VERSION}\")
set(QD_QNETD_BINDIR \"${_qd_qnetd_dir}\")
set(QD_QDEVICE_BINDIR \"${_qd_qdevice_dir}\")
set(QD_DATAROOTDIR \"${CMAKE_INSTALL_DATAROOTDIR}\")
set(QD_SYSTEMD_UNIT_DIR \"${QD_SYSTEMD_UNIT_DIR}\")
set(QD_SYSCONFDIR \"${QD_SYSCONFDIR}\")
set(QD_INSTALL_SYSV \"${QD_INSTALL_SYSV}\")
set(QD_INSTALL_SYSUSERS \"${QD_INSTALL_SYSUSERS}\")
set(QD_INSTALL_TMPFILES \"${QD_INSTALL_TMPFILES}\")
set(QD_INSTALL_DEFAULTS \"${QD_INSTALL_DEFAULTS}\")
set(QD_WITH_SYSTEMD \"${QD_WITH_SYSTEMD}\")
set(QD_BUILD_QNETD \"${QD_BUILD_QNETD}\")
set(QD_BUILD_QDEVICE \"${QD_BUILD_QDEVICE}\")
include(\"${CMAKE_SOURCE_DIR}/cmake/install-system-files.cmake\")
")
