# bench/analyzer.cmake: 'make bench-analyzer' runs the analyzer benchmark (import rate, report time, bytes per event).
# Use a Release build directory; BENCH_ANALYZER_EVENTS (default 10000000) sets the tape size.
set(BENCH_ANALYZER_EVENTS 10000000 CACHE STRING "events in the analyzer benchmark's synthetic tape")
add_custom_target(bench-analyzer
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_analyzer.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
          ${CMAKE_CURRENT_BINARY_DIR}/analyzer ${BENCH_ANALYZER_EVENTS} 3
  DEPENDS nettape nettape-synth
  USES_TERMINAL
  COMMENT "analyzer benchmark (${BENCH_ANALYZER_EVENTS} events)")
