# lib_ch.sh: starts a private ClickHouse server on loopback for one test (free ports, its own temporary directory) and stops it by its pid.
# Source it, then: ch_test_init "$@" (the common opening), ch_fleet_server, or ch_start DIR [NAME] -> CH_URL
# (clickhouse://127.0.0.1:PORT), CH_HTTP (http://...), CH_PID; ch_stop stops every server this shell started
# (ch_test_init makes it the EXIT trap).
# A missing clickhouse-server package skips the test (exit 77) and says why.

CH_PIDS=()

# ch_test_init NETTAPE NETTAPE-SYNTH WORKDIR: the opening every ClickHouse test shares. Sets N, SYNTH
# and W, skips (77) without a server, starts W empty, stops this shell's servers on exit (a test that
# needs more cleanup sets its own EXIT trap and calls ch_stop from it) and defines fail() (a test may
# redefine it after this call).
ch_test_init() {
	N=$1 SYNTH=$2 W=$3
	ch_need_server
	rm -rf "$W"; mkdir -p "$W"
	trap ch_stop EXIT
	fail() { echo "FAIL: $*"; exit 1; }
}

# ch_fleet_server: one private server under $W/server with an empty database "fleet";
# URL is the --into URL of that database.
ch_fleet_server() {
	ch_start "$W/server"
	ch_sql "CREATE DATABASE fleet"
	URL=$CH_URL/fleet
}

ch_need_server() {
	if ! command -v clickhouse-server >/dev/null 2>&1 && [[ ! -x /usr/sbin/clickhouse-server ]]; then
		echo "SKIP: clickhouse-server is not installed (Debian package clickhouse-server; scripts/install-deps.sh installs it)"
		exit 77
	fi
}

# A TCP port nobody listens on (the kernel picks it; a tiny race is acceptable for a test).
ch_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ch_start DIR [REMOTE_SERVERS_XML]: a server with its data under DIR; optional XML for <remote_servers>
# (@SELF_TCP@ in it becomes this server's TCP port).
ch_start() {
	local dir=$1 remote=${2:-} http tcp inter
	ch_need_server
	mkdir -p "$dir"/{data,tmp,user_files,log,format_schemas}
	http=$(ch_free_port); tcp=$(ch_free_port); inter=$(ch_free_port)
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
  ${remote//@SELF_TCP@/$tcp}
</yandex>
XML
	CH_HTTP="http://127.0.0.1:$http"
	CH_URL="clickhouse://127.0.0.1:$http"
	CH_TCP=$tcp
	CH_DIR=$dir
	ch_run "$dir"
}

# ch_run DIR: starts the server configured in DIR (again: same ports, same data) and waits for /ping.
ch_run() {
	local dir=$1 bin http
	bin=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
	http=$(sed -n 's:.*<http_port>\([0-9]*\)</http_port>.*:\1:p' "$dir/config.xml")
	"$bin" --config-file="$dir/config.xml" >>"$dir/log/stdout.log" 2>&1 &
	local pid=$!
	CH_PIDS+=("$pid")
	CH_PID=$pid
	# Should this shell be killed without running its trap (a ctest timeout), the server goes too.
	( trap '' TERM; while kill -0 $$ 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
	  kill "$pid" 2>/dev/null ) >/dev/null 2>&1 &
	for _ in $(seq 1 300); do
		if [[ $(curl -s "http://127.0.0.1:$http/ping" 2>/dev/null) == "Ok." ]]; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: clickhouse-server exited at start; its log:" >&2
			tail -20 "$dir/log/stdout.log" "$dir/log/error.log" >&2 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	echo "FAIL: clickhouse-server did not answer /ping within 30 s" >&2
	return 1
}

# ch_kill PID: stops one server this shell started and waits for it.
ch_kill() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Stops every server this shell started, by pid.
ch_stop() {
	local pid
	for pid in "${CH_PIDS[@]}"; do
		ch_kill "$pid"
	done
	CH_PIDS=()
}

# ch_sql SQL: runs SQL on the last server started, prints the result (TabSeparated).
ch_sql() {
	curl -sS --fail-with-body "$CH_HTTP/" --data-binary "$1"
}

# ch_db DATABASE SQL: runs SQL with DATABASE as the default database.
ch_db() {
	curl -sS --fail-with-body "$CH_HTTP/?database=$1" --data-binary "$2"
}
