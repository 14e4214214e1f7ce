# tests/tools.cmake: the tools every test area shares: one tape dumper (tests/tools/tape_dump.c).
# Its modes: "tape_dump [-v] TAPE" (counts, decoded events), "records TAPE" (text+hex, a verify),
# "zstd FILE..." (raw frame contents, for the bundle's leak checks).
add_executable(nt-tape-dump ${CMAKE_CURRENT_SOURCE_DIR}/tools/tape_dump.c)
target_link_libraries(nt-tape-dump PRIVATE nettape_format PkgConfig::ZSTD nettape_warnings)
