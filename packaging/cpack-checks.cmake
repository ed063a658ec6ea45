# Read by cpack before it builds a package (CPACK_PROJECT_CONFIG_FILE):
# a Debian package installs under /usr, never /usr/local, and its systemd
# units name the server where the package puts it, so a tree configured
# for another prefix is refused rather than packed.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "the .deb needs a tree configured with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(this one installs under '${CPACK_PACKAGING_INSTALL_PREFIX}')")
endif()
