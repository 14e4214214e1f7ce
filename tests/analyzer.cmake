# tests/analyzer.cmake: tests of the analyzer (import, detectors, correlation, reports, query) on synthetic tapes.
set(NETTAPE_AN_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/analyzer)

# nettape-synth: deterministic scenario tapes (not installed).
add_executable(nettape-synth ${NETTAPE_AN_TEST_DIR}/synth.c)
target_link_libraries(nettape-synth PRIVATE nettape_format nettape_warnings)

function(nettape_analyzer_unit name)
  add_executable(${name} ${NETTAPE_AN_TEST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE nettape_analyzer nettape_warnings)
endfunction()

nettape_analyzer_unit(test_timefmt)
add_test(NAME analyzer.timefmt COMMAND test_timefmt)
set_tests_properties(analyzer.timefmt PROPERTIES LABELS "unit")

nettape_analyzer_unit(test_detect)
add_test(NAME analyzer.detect
  COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && \"$2\" \"$3\" \"$1\"" sh
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-detect $<TARGET_FILE:test_detect> $<TARGET_FILE:nettape-synth>)
set_tests_properties(analyzer.detect PROPERTIES LABELS "unit")

# Golden reports, CLI behaviour and the HTML report in headless Chromium.
add_test(NAME analyzer.golden
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/golden.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-golden ${NETTAPE_AN_TEST_DIR}/golden)
set_tests_properties(analyzer.golden PROPERTIES LABELS "golden")
add_test(NAME analyzer.cli
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-cli)
set_tests_properties(analyzer.cli PROPERTIES LABELS "cli")
add_test(NAME analyzer.html
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/html.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-html)
set_tests_properties(analyzer.html PROPERTIES LABELS "html" SKIP_RETURN_CODE 77 TIMEOUT 300)
