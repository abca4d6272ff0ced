#!/bin/bash
# Measures zkmesh's recovery of 1,000,000 znodes of 100 bytes: fills a fresh
# standalone server through `zkmesh bench` (its setup phase creates the
# keys), kills it with SIGKILL, restarts it on the same data directory and
# times until it answers ruok again. Loopback only; ends by itself.
#   ZKMESH_BIN=/path/to/zkmesh scripts/recovery-1m.sh
set -u
bin="${ZKMESH_BIN:?set ZKMESH_BIN to a zkmesh binary}"
work="${WORKDIR:-/tmp/zkmesh-recovery-1m}"
port="${PORT:-23181}"
mkdir -p "$work" && cd "$work" || exit 1
rm -rf data
cat > zoo.cfg <<CFG
tickTime=2000
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
xds.address=127.0.0.1:0
4lw.commands.whitelist=*
CFG
"$bin" run --config zoo.cfg > server1.log 2>&1 &
pid=$!
until echo ruok | nc -q1 127.0.0.1 "$port" 2>/dev/null | grep -q imok; do sleep 0.05; done
# --keys 1000000: the run first creates 1,000,000 nodes of --payload bytes.
"$bin" bench --servers "127.0.0.1:$port" --workload get --keys 1000000 --payload 100 --sessions 4 \
	--setup-depth 64 --depth 8 --warmup 0s --duration 1s --keep > bench.log 2>&1
echo mntr | nc -q1 127.0.0.1 "$port" | grep -E "znode_count|approximate"
grep VmRSS /proc/$pid/status
kill -9 $pid
wait $pid 2>/dev/null
du -sh data
start=$(date +%s.%N)
"$bin" run --config zoo.cfg > server2.log 2>&1 &
pid=$!
until echo ruok | nc -q1 127.0.0.1 "$port" 2>/dev/null | grep -q imok; do sleep 0.05; done
end=$(date +%s.%N)
echo "restart to serving: $(echo "$end - $start" | bc) s"
grep "recovered data tree" server2.log
echo mntr | nc -q1 127.0.0.1 "$port" | grep -E "znode_count"
grep VmRSS /proc/$pid/status
kill $pid
wait $pid 2>/dev/null
