# tests/format.cmake: tests of the tape format library (tests/format/), its golden bad chunks, info/verify CLI tests and fuzzing of its parsers.
set(NETTAPE_FMT_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/format)

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
nettape_format_unit(test_delta)
nettape_format_unit(test_names_pins)
nettape_format_unit(test_batch)

# Fuzzing: a plain driver replays the corpus under ctest (always built); with
# clang, a libFuzzer binary over a coverage-instrumented copy of the library,
# plus a short bounded fuzz run (NETTAPE_FUZZ_DIR, NETTAPE_HAVE_LIBFUZZER: tests/CMakeLists.txt).
add_executable(fuzz_chunk_reader_replay ${NETTAPE_FUZZ_DIR}/fuzz_chunk_reader.c ${NETTAPE_FUZZ_DIR}/fuzz_driver.c)
target_link_libraries(fuzz_chunk_reader_replay PRIVATE nettape_format nettape_warnings)
add_test(NAME format.fuzz_replay COMMAND fuzz_chunk_reader_replay ${NETTAPE_FUZZ_DIR}/corpus ${CMAKE_CURRENT_SOURCE_DIR}/golden)
set_tests_properties(format.fuzz_replay PROPERTIES LABELS "fuzz;unit")

if(NETTAPE_HAVE_LIBFUZZER)
  file(GLOB NETTAPE_FORMAT_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/format/*.c)
  add_library(nettape_format_fuzz STATIC ${NETTAPE_FORMAT_FUZZ_SRC})
  target_include_directories(nettape_format_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/format)
  target_compile_options(nettape_format_fuzz PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
  # checksums are not checked in this copy: the fuzzer gets to the decoders behind them
  target_compile_definitions(nettape_format_fuzz PRIVATE FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  target_link_libraries(nettape_format_fuzz PUBLIC PkgConfig::ZSTD PRIVATE nettape_warnings)
  add_executable(fuzz_chunk_reader ${NETTAPE_FUZZ_DIR}/fuzz_chunk_reader.c)
  target_compile_options(fuzz_chunk_reader PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_chunk_reader PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_chunk_reader PRIVATE nettape_format_fuzz nettape_warnings)
  set(NETTAPE_FUZZ_WORK ${CMAKE_CURRENT_BINARY_DIR}/fuzz-work)
  add_test(NAME format.fuzz_chunk_reader_short
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
            $<TARGET_FILE:fuzz_chunk_reader> -runs=50000 -max_total_time=30 -max_len=65536
            -rss_limit_mb=2048 -artifact_prefix=${NETTAPE_FUZZ_WORK}/
            ${NETTAPE_FUZZ_WORK}/corpus ${NETTAPE_FUZZ_DIR}/corpus)
  set_tests_properties(format.fuzz_chunk_reader_short PROPERTIES LABELS "fuzz" TIMEOUT 120
    FIXTURES_REQUIRED nettape_fuzz_work)
  add_test(NAME format.fuzz_work_setup COMMAND ${CMAKE_COMMAND} -E make_directory ${NETTAPE_FUZZ_WORK}/corpus
           ${NETTAPE_FUZZ_WORK}/corpus-fuzz_packet ${NETTAPE_FUZZ_WORK}/corpus-fuzz_names ${NETTAPE_FUZZ_WORK}/corpus-fuzz_pins)
  set_tests_properties(format.fuzz_work_setup PROPERTIES FIXTURES_SETUP nettape_fuzz_work LABELS "fuzz")
endif()

# One libFuzzer target per format/ parser besides the chunk reader: the plain
# driver replays its corpus under ctest; with libFuzzer, a short bounded run.
function(nettape_format_fuzz name corpus max_len)
  add_executable(${name}_replay ${NETTAPE_FUZZ_DIR}/${name}.c ${NETTAPE_FUZZ_DIR}/fuzz_driver.c)
  target_link_libraries(${name}_replay PRIVATE nettape_format nettape_warnings)
  add_test(NAME format.${name}_replay COMMAND ${name}_replay ${NETTAPE_FUZZ_DIR}/${corpus})
  set_tests_properties(format.${name}_replay PROPERTIES LABELS "fuzz;unit")
  if(NETTAPE_HAVE_LIBFUZZER)
    add_executable(${name} ${NETTAPE_FUZZ_DIR}/${name}.c)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE nettape_format_fuzz nettape_warnings)
    add_test(NAME format.${name}_short
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
              $<TARGET_FILE:${name}> -runs=200000 -max_total_time=15 -max_len=${max_len}
              -rss_limit_mb=2048 -artifact_prefix=${NETTAPE_FUZZ_WORK}/
              ${NETTAPE_FUZZ_WORK}/corpus-${name} ${NETTAPE_FUZZ_DIR}/${corpus})
    set_tests_properties(format.${name}_short PROPERTIES LABELS "fuzz" TIMEOUT 90
      FIXTURES_REQUIRED nettape_fuzz_work)
  endif()
endfunction()
nettape_format_fuzz(fuzz_packet corpus_packet 2048)
nettape_format_fuzz(fuzz_names corpus_names 256)
nettape_format_fuzz(fuzz_pins corpus_pins 1200)

# mkgolden regenerates tests/golden/*.ntc by hand (not a test): mkgolden tests/golden
add_executable(nettape-mkgolden ${CMAKE_CURRENT_SOURCE_DIR}/golden/mkgolden.c)
target_link_libraries(nettape-mkgolden PRIVATE nettape_format nettape_warnings)

nettape_format_unit(test_golden)
target_compile_definitions(test_golden PRIVATE GOLDEN_DIR="${CMAKE_CURRENT_SOURCE_DIR}/golden")

# CLI tests of 'nettape info' and 'nettape verify': scripts beside their expected output.
file(GLOB NETTAPE_FORMAT_CLI_CASES ${CMAKE_CURRENT_SOURCE_DIR}/cli/info_*.sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/verify_*.sh)
foreach(case ${NETTAPE_FORMAT_CLI_CASES})
  get_filename_component(case_name ${case} NAME_WE)
  add_test(NAME cli.${case_name}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_cli_test.sh ${case}
            $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-mktape> ${CMAKE_CURRENT_SOURCE_DIR}/golden)
  set_tests_properties(cli.${case_name} PROPERTIES LABELS "cli")
endforeach()
nettape_format_unit(test_layout)
