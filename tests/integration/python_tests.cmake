# cw_add_python_tests: one ctest test per test_*.py in the calling folder,
# named <prefix>_<name without test_> and run by Debian's /usr/bin/python3
# -m unittest from that folder.  Shared by tests/integration and tests/cli,
# whose drivers differ only in the labels, environment and time they get;
# PYTHONDONTWRITEBYTECODE keeps __pycache__ out of the source tree.
include_guard(GLOBAL)

function(cw_add_python_tests prefix labels environment timeout)
  file(GLOB tests RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/test_*.py)
  list(SORT tests)
  foreach(f ${tests})
    get_filename_component(name ${f} NAME_WE)
    string(REGEX REPLACE "^test_" "" name ${name})
    add_test(NAME ${prefix}_${name}
             COMMAND /usr/bin/python3 -m unittest -v ${f}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${prefix}_${name} PROPERTIES
      LABELS "${labels}"
      ENVIRONMENT "${environment};PYTHONDONTWRITEBYTECODE=1"
      TIMEOUT ${timeout})
  endforeach()
endfunction()
