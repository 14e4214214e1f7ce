# tests/format.cmake: tests of the tape format library, the nettape-mktape helper, info/verify CLI tests and fuzzing.
set(NETTAPE_FMT_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/unit/format)

function(nettape_format_unit name)
  add_executable(${name} ${NETTAPE_FMT_TEST_DIR}/${name}.c)
  target_include_directories(${name} PRIVATE ${NETTAPE_FMT_TEST_DIR} ${CMAKE_SOURCE_DIR}/format)
  target_link_libraries(${name} PRIVATE nettape_format nettape_warnings)
  add_test(NAME format.${name} COMMAND ${name})
  set_tests_properties(format.${name} PROPERTIES LABELS "unit")
endfunction()

nettape_format_unit(test_roundtrip)
nettape_format_unit(test_meta)
nettape_format_unit(test_rotation)
nettape_format_unit(test_damage)
