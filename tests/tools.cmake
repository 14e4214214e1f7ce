# tests/tools.cmake: the tools every test area shares: one tape dumper (tests/tools/tape_dump.c) and one synthesizer library.
# Its modes: "tape_dump [-v] TAPE" (counts, decoded events), "records TAPE" (text+hex, a verify),
# "zstd FILE..." (raw frame contents, for the bundle's leak checks).
add_executable(nt-tape-dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/tape_dump.c)
target_link_libraries(nt-tape-dump PRIVATE nettape_format PkgConfig::ZSTD nettape_warnings)

# One tape synthesizer library (tests/tools/synth.c): the clock, metadata and tuple helpers
# every tape generator of the tests builds its records with.
add_library(nt_test_synth STATIC ${CMAKE_CURRENT_SOURCE_DIR}/tools/synth.c)
target_include_directories(nt_test_synth PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/tools)
target_link_libraries(nt_test_synth PUBLIC nettape_format PRIVATE nettape_warnings)
foreach(gen nettape-synth nt-pb-gen-tape nt-replay-gentape nettape-mktape)
  target_link_libraries(${gen} PRIVATE nt_test_synth)
endforeach()
