# tests/layering.cmake: the 'layering' test: no include crosses a layer the wrong way (tests/layering.sh has the rules).
add_test(NAME layering COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/layering.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(layering PROPERTIES LABELS "unit")
