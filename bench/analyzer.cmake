# bench/analyzer.cmake: 'make bench-analyzer' runs the analyzer benchmark (import rate, report time, bytes per event).
# Use a Release build directory; BENCH_ANALYZER_EVENTS (default 10000000) sets the tape size.
set(BENCH_ANALYZER_EVENTS 10000000 CACHE STRING "events in the analyzer benchmark's synthetic tape")
add_custom_target(bench-analyzer
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_analyzer.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer ${BENCH_ANALYZER_EVENTS} 3
  DEPENDS nettape nettape-synth
  USES_TERMINAL
  COMMENT "analyzer benchmark (${BENCH_ANALYZER_EVENTS} events)")

# 'make bench-clickhouse': the fleet store (docs/CLICKHOUSE.md): BENCH_CH_HOSTS x BENCH_CH_EVENTS synthetic events.
set(BENCH_CH_HOSTS 100 CACHE STRING "hosts in the ClickHouse benchmark")
set(BENCH_CH_EVENTS 100000 CACHE STRING "events per host in the ClickHouse benchmark")
add_custom_target(bench-clickhouse
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_clickhouse.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/clickhouse ${BENCH_CH_HOSTS} ${BENCH_CH_EVENTS} 1
  DEPENDS nettape nettape-synth
  USES_TERMINAL
  COMMENT "ClickHouse benchmark (${BENCH_CH_HOSTS} hosts x ${BENCH_CH_EVENTS} events)")

# 'make bench-import': import events per CPU second of this build against a baseline nettape built
# from BENCH_BASE_REF (default main) in the same run, and their ratio (bench_import.sh).
set(BENCH_BASE_REF main CACHE STRING "commit the import benchmark's baseline is built from")
add_custom_target(bench-import
  COMMAND ${CMAKE_COMMAND} -E env BENCH_BASE_REF=${BENCH_BASE_REF}
          bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_import.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/import 5 ${BENCH_ANALYZER_EVENTS}
  DEPENDS nettape nettape-synth
  USES_TERMINAL
  COMMENT "import benchmark against ${BENCH_BASE_REF} (${BENCH_ANALYZER_EVENTS} events)")
