# Cross-compiling for arm64, armhf or armel with Debian 12's cross toolchain against a sysroot of the target's -dev packages.
#
# cmake -DCMAKE_TOOLCHAIN_FILE=cmake/cross-toolchain.cmake -DQD_CROSS_ARCH=arm64 -DQD_SYSROOT=/var/cache/qd-sysroot/arm64 ...
# (or the environment variables QD_CROSS_ARCH and QD_SYSROOT; scripts/cross-sysroot.sh makes the
# sysroot). Programs built here run under qemu-user-static when it is installed, so ctest runs the
# unit tests of the target's binaries without binfmt (CMAKE_CROSSCOMPILING_EMULATOR).

if(NOT QD_CROSS_ARCH)
  set(QD_CROSS_ARCH "$ENV{QD_CROSS_ARCH}")
endif()
if(NOT QD_SYSROOT)
  set(QD_SYSROOT "$ENV{QD_SYSROOT}")
endif()
# Toolchain files are read again by try_compile projects: hand the two settings on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES QD_CROSS_ARCH QD_SYSROOT)

if(QD_CROSS_ARCH STREQUAL "arm64")
  set(_qd_triplet aarch64-linux-gnu)
  set(_qd_processor aarch64)
  set(_qd_qemu qemu-aarch64-static)
elseif(QD_CROSS_ARCH STREQUAL "armhf")
  set(_qd_triplet arm-linux-gnueabihf)
  set(_qd_processor armv7l)
  set(_qd_qemu qemu-arm-static)
elseif(QD_CROSS_ARCH STREQUAL "armel")
  set(_qd_triplet arm-linux-gnueabi)
  set(_qd_processor armv6l)
  set(_qd_qemu qemu-arm-static)
else()
  message(FATAL_ERROR "QD_CROSS_ARCH must be arm64, armhf or armel (got '${QD_CROSS_ARCH}')")
endif()
if(NOT IS_DIRECTORY "${QD_SYSROOT}/usr/include")
  message(FATAL_ERROR "QD_SYSROOT '${QD_SYSROOT}' is not a sysroot: run scripts/cross-sysroot.sh ${QD_CROSS_ARCH}")
endif()

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${_qd_processor})
set(CMAKE_C_COMPILER ${_qd_triplet}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${_qd_triplet})
set(CMAKE_SYSROOT "${QD_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${QD_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config answers from the sysroot's .pc files, with the sysroot prefixed to every path.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${QD_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${QD_SYSROOT}/usr/lib/${_qd_triplet}/pkgconfig:${QD_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

find_program(_qd_qemu_path ${_qd_qemu})
if(_qd_qemu_path)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${_qd_qemu_path};-L;${QD_SYSROOT}")
endif()
