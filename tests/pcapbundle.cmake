# tests/pcapbundle.cmake: tests of 'nettape pcap' (tapes and databases) and 'nettape bundle' (pcapng/tar writers, anonymization) on a synthetic tape.
set(NETTAPE_PB_DIR ${CMAKE_CURRENT_SOURCE_DIR}/pcapbundle)

# A tape with known names, addresses, events and real Ethernet/IP/TCP snippets.
add_executable(nt-pb-gen-tape ${NETTAPE_PB_DIR}/gen_tape.c)
target_link_libraries(nt-pb-gen-tape PRIVATE nettape_format nettape_warnings)
# Unit tests of pcapng_writer, tar_writer, anonymize and the selection helpers.
add_executable(nt-pb-unit ${NETTAPE_PB_DIR}/test_units.c)
target_link_libraries(nt-pb-unit PRIVATE nettape_analyzer nettape_warnings)

add_test(NAME pcapbundle.unit COMMAND nt-pb-unit)
set_tests_properties(pcapbundle.unit PROPERTIES LABELS "unit")

add_test(NAME pcapbundle.pcap_cli
  COMMAND bash ${NETTAPE_PB_DIR}/test_pcap.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-tape-dump> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-pcap)
set_tests_properties(pcapbundle.pcap_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

# 'nettape pcap DB': the imported tape and the synthetic capture (all link types of
# tests/pcapimport's nt-gen-pcap) exported back.
add_test(NAME pcapbundle.pcap_db_cli
  COMMAND bash ${NETTAPE_PB_DIR}/test_pcap_db.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          ${CMAKE_CURRENT_SOURCE_DIR}/pcapimport/synthetic.pcap ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-pcap-db
          $<TARGET_FILE:nt-gen-pcap>)
set_tests_properties(pcapbundle.pcap_db_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

add_test(NAME pcapbundle.bundle_cli
  COMMAND bash ${NETTAPE_PB_DIR}/test_bundle.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-tape-dump> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-bundle)
set_tests_properties(pcapbundle.bundle_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

# Fuzzing anonymize.c (packet rewriter, records) and the --conn/--from grammar: the corpus
# replayed by the plain driver under ctest, and with libFuzzer a short bounded run.
add_executable(nt-pb-fuzz-anon-replay ${NETTAPE_PB_DIR}/fuzz_anonymize.c)
target_compile_definitions(nt-pb-fuzz-anon-replay PRIVATE NT_PB_REPLAY_MAIN)
target_link_libraries(nt-pb-fuzz-anon-replay PRIVATE nettape_analyzer nettape_warnings)
add_test(NAME pcapbundle.fuzz_replay COMMAND nt-pb-fuzz-anon-replay ${NETTAPE_PB_DIR}/corpus)
set_tests_properties(pcapbundle.fuzz_replay PROPERTIES LABELS "fuzz;unit")
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_c_source_compiles("#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }" NETTAPE_PB_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
endif()
if(NETTAPE_PB_HAVE_LIBFUZZER)
  add_executable(nt-pb-fuzz-anon ${NETTAPE_PB_DIR}/fuzz_anonymize.c ${CMAKE_SOURCE_DIR}/analyzer/bundle/anonymize.c
    ${CMAKE_SOURCE_DIR}/analyzer/util/selection.c ${CMAKE_SOURCE_DIR}/analyzer/util/timefmt.c)
  target_include_directories(nt-pb-fuzz-anon PRIVATE ${CMAKE_SOURCE_DIR}/analyzer)
  target_compile_options(nt-pb-fuzz-anon PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(nt-pb-fuzz-anon PRIVATE -fsanitize=fuzzer,address,undefined)
  # the rest of the analyzer (db.c behind conn_filter_learn_db) uninstrumented
  target_link_libraries(nt-pb-fuzz-anon PRIVATE nettape_analyzer nettape_format PkgConfig::SQLITE3 nettape_warnings)
  set(NETTAPE_PB_FUZZ_WORK ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-fuzz)
  add_test(NAME pcapbundle.fuzz_anon_short
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
            $<TARGET_FILE:nt-pb-fuzz-anon> -runs=200000 -max_total_time=20 -max_len=2048
            -rss_limit_mb=2048 -artifact_prefix=${NETTAPE_PB_FUZZ_WORK}/
            ${NETTAPE_PB_FUZZ_WORK}/corpus ${NETTAPE_PB_DIR}/corpus)
  set_tests_properties(pcapbundle.fuzz_anon_short PROPERTIES LABELS "fuzz" TIMEOUT 90
    FIXTURES_REQUIRED nettape_pb_fuzz_work)
  add_test(NAME pcapbundle.fuzz_work_setup
    COMMAND ${CMAKE_COMMAND} -E make_directory ${NETTAPE_PB_FUZZ_WORK}/corpus)
  set_tests_properties(pcapbundle.fuzz_work_setup PROPERTIES FIXTURES_SETUP nettape_pb_fuzz_work
    LABELS "fuzz")
endif()
