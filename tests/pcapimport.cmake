# tests/pcapimport.cmake: tests of 'nettape import CAPTURE' (pcap/pcapng through the detectors): parser and
# analyzer units, the CLI on a committed synthetic capture, and real captures in network namespaces vs tshark.
set(NETTAPE_PI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/pcapimport)

# Writes the synthetic capture (tests/pcapimport/synthetic.pcap is its en10mb output, committed).
add_executable(nt-gen-pcap ${NETTAPE_PI_DIR}/gen_pcap.c)
target_link_libraries(nt-gen-pcap PRIVATE nettape_warnings)

add_executable(nt-pcapimport-unit ${NETTAPE_PI_DIR}/test_pcap.c)
target_link_libraries(nt-pcapimport-unit PRIVATE nettape_analyzer nettape_warnings)
add_test(NAME pcapimport.unit COMMAND nt-pcapimport-unit ${NETTAPE_PI_DIR}/synthetic.pcap)
set_tests_properties(pcapimport.unit PROPERTIES LABELS "unit")

add_test(NAME pcapimport.cli
  COMMAND bash ${NETTAPE_PI_DIR}/cli.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nt-gen-pcap>
          $<TARGET_FILE:nettape-synth> ${NETTAPE_PI_DIR}/synthetic.pcap ${CMAKE_CURRENT_BINARY_DIR}/pcapimport-cli)
set_tests_properties(pcapimport.cli PROPERTIES LABELS "cli")

# Real captures (root, network namespaces, nft, dumpcap, tshark); skipped (77) without them.
add_test(NAME pcapimport.netns
  COMMAND bash ${NETTAPE_PI_DIR}/netns.sh $<TARGET_FILE:nettape> ${CMAKE_CURRENT_BINARY_DIR}/pcapimport-netns)
set_tests_properties(pcapimport.netns PROPERTIES LABELS "cli;netns" SKIP_RETURN_CODE 77 TIMEOUT 180 RUN_SERIAL TRUE)
