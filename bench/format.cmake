# bench/format.cmake: bench_format, throughput and size of the tape format (run by hand, not a ctest).
add_executable(bench_format ${CMAKE_CURRENT_SOURCE_DIR}/bench_format.c)
target_link_libraries(bench_format PRIVATE nettape_format nettape_warnings PkgConfig::ZSTD)
