# tests/tools.cmake: the programs of tests/tools/ that make the tests' inputs and read their outputs (not installed).
# One tape dumper, nt-tape-dump (tests/tools/tape_dump.c), printing records with the replay printer
# (analyzer/util/record_fmt): "tape_dump [-v] TAPE" (counts; -v every record as a replay text line),
# "records TAPE" (headers, every record as replay JSON plus its bytes as text and hex; a verify),
# "zstd FILE..." (raw frame contents, for the bundle's leak checks).
add_executable(nt-tape-dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/tape_dump.c)
target_link_libraries(nt-tape-dump PRIVATE nettape_analyzer nettape_format PkgConfig::ZSTD nettape_warnings)

# One tape synthesizer library (tests/tools/synth.c): the clock, metadata and tuple helpers
# every tape generator of the tests builds its records with.
add_library(nt_test_synth STATIC ${CMAKE_CURRENT_SOURCE_DIR}/tools/synth.c)
target_include_directories(nt_test_synth PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/tools)
target_link_libraries(nt_test_synth PUBLIC nettape_format PRIVATE nettape_warnings)

# The tape generators, each with its own scenario: nettape-synth (incident scenarios for the analyzer,
# ClickHouse and capture tests), nettape-mktape (a realistic tape for tests and benchmarks),
# nt-pb-gen-tape (known names, addresses and snippets for pcap and bundle), nt-replay-gentape (replay).
add_executable(nettape-synth ${CMAKE_CURRENT_SOURCE_DIR}/tools/nettape_synth.c)
add_executable(nettape-mktape ${CMAKE_CURRENT_SOURCE_DIR}/tools/mktape.c)
add_executable(nt-pb-gen-tape ${CMAKE_CURRENT_SOURCE_DIR}/tools/gen_bundle_tape.c)
add_executable(nt-replay-gentape ${CMAKE_CURRENT_SOURCE_DIR}/tools/gen_replay_tape.c)
foreach(gen nettape-synth nt-pb-gen-tape nt-replay-gentape nettape-mktape)
  target_link_libraries(${gen} PRIVATE nt_test_synth nettape_format nettape_warnings)
endforeach()

# nt-gen-pcap: the synthetic capture (tests/analyzer/pcap/synthetic.pcap is its en10mb output, committed).
add_executable(nt-gen-pcap ${CMAKE_CURRENT_SOURCE_DIR}/tools/gen_pcap.c)
target_link_libraries(nt-gen-pcap PRIVATE nettape_warnings)
