# What `cmake --install` puts where, and the Debian package cpack builds from
# the same rules.  Included at the end of the top-level CMakeLists.txt, once
# every target exists.  Paths follow GNUInstallDirs, so
# `cmake -DCMAKE_INSTALL_PREFIX=/usr` gives the layout of a distribution
# package and the default prefix /usr/local that of a local install.
include(GNUInstallDirs)

# crosswalkd goes to bin beside the client rather than to sbin: people run
# it by hand too (`crosswalkd --hash-token`, a server in a terminal), and
# sbin is not on an ordinary user's PATH on Debian.
foreach(program crosswalkd crosswalk crosswalk-bench)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# Man pages, compressed as Debian ships them (-n: no name or time stamp in
# the file, so the same page gives the same bytes).
set(cw_man_pages crosswalkd.8 crosswalk.1 crosswalk-bench.1)
set(cw_man_outputs)
foreach(page ${cw_man_pages})
  string(REGEX MATCH "[0-9]$" section ${page})
  string(REGEX REPLACE "\\.[0-9]$" "" program ${page})
  if(NOT TARGET ${program})
    continue()
  endif()
  set(gz ${CMAKE_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
                     COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/docs/man/${page} > ${gz}
                     DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/${page}
                     COMMENT "Compressing the man page ${page}")
  list(APPEND cw_man_outputs ${gz})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man_pages ALL DEPENDS ${cw_man_outputs})

# Shell completion for the client, where Debian's bash-completion and zsh
# look for it.
install(FILES ${PROJECT_SOURCE_DIR}/tools/cli/completion/crosswalk.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME crosswalk)
install(FILES ${PROJECT_SOURCE_DIR}/tools/cli/completion/_crosswalk
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

# The systemd units, when the tree has them.  They name the server as
# /usr/bin/crosswalkd, where the package puts it; installed under another
# prefix, they are given the path the server is installed at instead.
set(CW_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING
    "Where the systemd units are installed (relative to CMAKE_INSTALL_PREFIX, or absolute)")
set(cw_units)
foreach(unit crosswalkd.service crosswalkd.socket)
  set(src ${PROJECT_SOURCE_DIR}/packaging/systemd/${unit})
  if(EXISTS ${src})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
    file(READ ${src} text)
    string(REPLACE "/usr/bin/crosswalkd" "${CMAKE_INSTALL_FULL_BINDIR}/crosswalkd" text "${text}")
    file(WRITE ${CMAKE_BINARY_DIR}/systemd/${unit} "${text}")
    install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit} DESTINATION ${CW_SYSTEMD_UNIT_DIR})
    list(APPEND cw_units ${unit})
  endif()
endforeach()

# The Debian package: `cpack -G DEB` in a build tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/test.sh builds it with Debian's
# hardening flags and installs it).  Its dependencies are found by
# dpkg-shlibdeps from the libraries the programs link.
set(CW_DEB_MAINTAINER "crosswalk maintainers <maintainers@crosswalk.invalid>" CACHE STRING
    "Maintainer field of the Debian package: Name <address>")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME crosswalk)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CW_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CW_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "control-mapping and audit-query server")
# Hard-wrapped: cpack keeps the lines as given and the control file
# wants them under 80 columns.
set(CPACK_PACKAGE_DESCRIPTION
    "crosswalkd keeps security framework catalogues (ISO/IEC 27001, NIST CSF
2.0, SOC 2, COBIT 2019), the crosswalks between them, an organisation's
controls and the evidence behind them in an LMDB store, and answers
coverage and gap questions over msgpack-RPC, each status explained down to
the control, the mapping path and the evidence. The shipped catalogues and
crosswalks are built into the server and loaded on its first start.
.
The package holds the server, the crosswalk command-line client (importers
for CSV, OSCAL and GRC YAML files; coverage, gap, compare and SoA reports
as text, Markdown, CSV, JSON or HTML) and the crosswalk-bench load tool.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/packaging/cpack-checks.cmake)
if(cw_units)
  # Let systemd see units that arrive or leave, and stop a running server
  # before its binary is removed.  Nothing is enabled or started on
  # install: that is the administrator's call (README, Run as a service).
  set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
      ${PROJECT_SOURCE_DIR}/packaging/deb/prerm ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
  set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endif()
include(CPack)
