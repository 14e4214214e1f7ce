# tests/pcapbundle.cmake: tests of 'nettape pcap' and 'nettape bundle' (pcapng/tar writers, anonymization) on a synthetic tape.
set(NETTAPE_PB_DIR ${CMAKE_CURRENT_SOURCE_DIR}/pcapbundle)

# A tape with known names, addresses, events and real Ethernet/IP/TCP snippets.
add_executable(nt-pb-gen-tape ${NETTAPE_PB_DIR}/gen_tape.c)
target_link_libraries(nt-pb-gen-tape PRIVATE nettape_format nettape_warnings)
# Dumps every record (text + hex) and every raw zstd frame, for the leak checks.
add_executable(nt-pb-dump-tape ${NETTAPE_PB_DIR}/dump_tape.c)
target_link_libraries(nt-pb-dump-tape PRIVATE nettape_format PkgConfig::ZSTD nettape_warnings)
# Unit tests of pcapng_writer, tar_writer, anonymize and the selection helpers.
add_executable(nt-pb-unit ${NETTAPE_PB_DIR}/test_units.c)
target_link_libraries(nt-pb-unit PRIVATE nettape_analyzer nettape_warnings)

add_test(NAME pcapbundle.unit COMMAND nt-pb-unit)
set_tests_properties(pcapbundle.unit PROPERTIES LABELS "unit")

add_test(NAME pcapbundle.pcap_cli
  COMMAND bash ${NETTAPE_PB_DIR}/test_pcap.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-pb-dump-tape> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-pcap)
set_tests_properties(pcapbundle.pcap_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)

add_test(NAME pcapbundle.bundle_cli
  COMMAND bash ${NETTAPE_PB_DIR}/test_bundle.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-pb-gen-tape>
          $<TARGET_FILE:nt-pb-dump-tape> ${CMAKE_CURRENT_BINARY_DIR}/pcapbundle-bundle)
set_tests_properties(pcapbundle.bundle_cli PROPERTIES LABELS "cli" SKIP_RETURN_CODE 77)
