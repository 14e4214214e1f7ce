# tests/analyzer.cmake: tests of the analyzer, one folder of tests/analyzer/ per folder of analyzer/: unit tests of util/, store/, detect/, pcap/, bundle/; the CLI, golden and HTML tests of its commands and reports.
set(NETTAPE_AN_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/analyzer)

# A unit test of the analyzer's internals: tests/analyzer/FOLDER/NAME.c linked with nettape_analyzer.
function(nettape_analyzer_unit folder name)
  add_executable(${name} ${NETTAPE_AN_TEST_DIR}/${folder}/${name}.c)
  target_link_libraries(${name} PRIVATE nettape_analyzer nettape_warnings)
endfunction()

# util/: time parsing, the --conn grammar, the hash map.
nettape_analyzer_unit(util test_timefmt)
add_test(NAME analyzer.timefmt COMMAND test_timefmt)
set_tests_properties(analyzer.timefmt PROPERTIES LABELS "unit")
nettape_analyzer_unit(util test_selection)
add_test(NAME analyzer.util.selection COMMAND test_selection)
set_tests_properties(analyzer.util.selection PROPERTIES LABELS "unit")
nettape_analyzer_unit(util test_hmap)
add_test(NAME analyzer.util.hmap COMMAND test_hmap)
set_tests_properties(analyzer.util.hmap PROPERTIES LABELS "unit")

# store/: which connections a --conn selects.
nettape_analyzer_unit(store test_conn_select)
add_test(NAME analyzer.store.conn_select COMMAND test_conn_select)
set_tests_properties(analyzer.store.conn_select PROPERTIES LABELS "unit")

# detect/ and incident/: every detector on synthetic tapes (nettape-synth).
nettape_analyzer_unit(detect test_detect)
add_test(NAME analyzer.detect
  COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && \"$2\" \"$3\" \"$1\"" sh
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-detect $<TARGET_FILE:test_detect> $<TARGET_FILE:nettape-synth>)
set_tests_properties(analyzer.detect PROPERTIES LABELS "unit")

# pcap/: the packet parser and capture analysis, 'nettape import CAPTURE' on the committed synthetic
# capture (tests/analyzer/pcap/synthetic.pcap is nt-gen-pcap's en10mb output), real captures in network
# namespaces vs tshark, and 'nettape pcap' from tapes and databases.
nettape_analyzer_unit(pcap test_pcap_import)
add_test(NAME pcapimport.unit COMMAND test_pcap_import ${NETTAPE_AN_TEST_DIR}/pcap/synthetic.pcap)
set_tests_properties(pcapimport.unit PROPERTIES LABELS "unit")
add_test(NAME pcapimport.cli
  COMMAND bash ${NETTAPE_AN_TEST_DIR}/pcap/import_cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-gen-pcap>
          $<TARGET_FILE:nettape-synth> ${NETTAPE_AN_TEST_DIR}/pcap/synthetic.pcap ${CMAKE_CURRENT_BINARY_DIR}/pcapimport-cli)
set_tests_properties(pcapimport.cli PROPERTIES LABELS "cli")
# Real captures (root, network namespaces, nft, dumpcap, tshark); skipped (77) without them.
add_test(NAME pcapimport.netns
  COMMAND bash ${NETTAPE_AN_TEST_DIR}/pcap/import_netns.sh $<TARGET_FILE:nettape> ${CMAKE_CURRENT_BINARY_DIR}/pcapimport-netns)
set_tests_properties(pcapimport.netns PROPERTIES LABELS "cli;netns" SKIP_RETURN_CODE 77 TIMEOUT 180 RUN_SERIAL TRUE)
add_test(NAME pcapbundle.pcap_cli
  COMMAND bash ${NETTAPE_AN_TEST_DIR}/pcap/export_cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-tape-dump> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-pcap)
set_tests_properties(pcapbundle.pcap_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)
# 'nettape pcap DB': the imported tape and the synthetic capture (all link types of nt-gen-pcap) exported back.
add_test(NAME pcapbundle.pcap_db_cli
  COMMAND bash ${NETTAPE_AN_TEST_DIR}/pcap/export_db_cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          ${NETTAPE_AN_TEST_DIR}/pcap/synthetic.pcap ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-pcap-db
          $<TARGET_FILE:nt-gen-pcap>)
set_tests_properties(pcapbundle.pcap_db_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

# bundle/: pcapng and tar writers, anonymize; 'nettape bundle' on a synthetic tape.
nettape_analyzer_unit(bundle test_bundle)
add_test(NAME pcapbundle.unit COMMAND test_bundle)
set_tests_properties(pcapbundle.unit PROPERTIES LABELS "unit")
add_test(NAME pcapbundle.bundle_cli
  COMMAND bash ${NETTAPE_AN_TEST_DIR}/bundle/bundle_cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-tape-dump> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-bundle)
set_tests_properties(pcapbundle.bundle_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

# report/: golden reports, and the HTML report in headless Chromium.
add_test(NAME analyzer.golden
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/report/golden.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-golden ${NETTAPE_AN_TEST_DIR}/report/golden)
set_tests_properties(analyzer.golden PROPERTIES LABELS "golden")
add_test(NAME analyzer.html
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/report/html.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-html)
set_tests_properties(analyzer.html PROPERTIES LABELS "html" SKIP_RETURN_CODE 77 TIMEOUT 300)

# cmd/: import/report/query behaviour, and 'nettape replay' on synthetic tapes.
add_test(NAME analyzer.cli
  COMMAND sh ${NETTAPE_AN_TEST_DIR}/cmd/cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer-cli)
set_tests_properties(analyzer.cli PROPERTIES LABELS "cli")
add_test(NAME replay.cli COMMAND bash ${NETTAPE_AN_TEST_DIR}/cmd/replay.sh)
set_tests_properties(replay.cli PROPERTIES LABELS "cli;replay" TIMEOUT 120
  ENVIRONMENT "NETTAPE=$<TARGET_FILE:nettape>;GENTAPE=$<TARGET_FILE:nt-replay-gentape>")

# Fuzzing anonymize.c (packet rewriter, records) and the --conn/--from grammar (tests/fuzz/fuzz_anonymize.c):
# the corpus replayed by its own plain driver under ctest, and with libFuzzer a short bounded run.
add_executable(nt-pb-fuzz-anon-replay ${NETTAPE_FUZZ_DIR}/fuzz_anonymize.c)
target_compile_definitions(nt-pb-fuzz-anon-replay PRIVATE NT_PB_REPLAY_MAIN)
target_link_libraries(nt-pb-fuzz-anon-replay PRIVATE nettape_analyzer nettape_warnings)
add_test(NAME pcapbundle.fuzz_replay COMMAND nt-pb-fuzz-anon-replay ${NETTAPE_FUZZ_DIR}/corpus_anonymize)
set_tests_properties(pcapbundle.fuzz_replay PROPERTIES LABELS "fuzz;unit")
if(NETTAPE_HAVE_LIBFUZZER)
  add_executable(nt-pb-fuzz-anon ${NETTAPE_FUZZ_DIR}/fuzz_anonymize.c ${CMAKE_SOURCE_DIR}/analyzer/bundle/anonymize.c
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
            ${NETTAPE_PB_FUZZ_WORK}/corpus ${NETTAPE_FUZZ_DIR}/corpus_anonymize)
  set_tests_properties(pcapbundle.fuzz_anon_short PROPERTIES LABELS "fuzz" TIMEOUT 90
    FIXTURES_REQUIRED nettape_pb_fuzz_work)
  add_test(NAME pcapbundle.fuzz_work_setup
    COMMAND ${CMAKE_COMMAND} -E make_directory ${NETTAPE_PB_FUZZ_WORK}/corpus)
  set_tests_properties(pcapbundle.fuzz_work_setup PROPERTIES FIXTURES_SETUP nettape_pb_fuzz_work
    LABELS "fuzz")
endif()
