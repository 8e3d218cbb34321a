#!/bin/bash
# Run ON THE DEVICE from the project root. Idempotent stages with a deadline, state under /tmp:
#   1. carried wheels (.whl) -> /tmp/site (pydantic, pydantic-settings, openai: the app's imports)
#   2. llama-cpp-python CUDA build (../shared/gpu recipe: .gpu/build_cuda.sh, system g++), while
#      rawbench.py gen writes the random-weight Llama-3.1-8B F16 GGUF and measures HBM bandwidth
#   3. quantize Q4_K_M (llama_model_quantize)
#   4. llama-server from the same build tree (tools + server, no web UI), if time allows
#   5. eval.gpu_bench on the 8B Q4_K_M and on the default SmolLM2 (reassembled from carried parts)
# Usage: bash eval/gpu/device_run.sh SECONDS_BUDGET [stages...]
set -u
T0=$(date +%s); BUDGET=${1:-560}; shift || true
STAGES=${*:-"setup build quant server bench"}
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
log() { echo "[$(date +%T) +$(( $(date +%s) - T0 ))s] $*"; }
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
ST=/tmp/rb; mkdir -p $ST
SRC=$(ls -d /tmp/lcp/src/llama_cpp_python-* 2>/dev/null | head -1)
if [ -d .whl ] && [ ! -f /tmp/site/.done ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && touch /tmp/site/.done
fi
export PYTHONPATH=/tmp/site
for p in .m1 .m2; do [ -d $p ] && cp -n $p/* /tmp/ 2>/dev/null; done
for s in $STAGES; do
case $s in
build)
  if [ ! -f $ST/model-f16.gguf.done ]; then
    mkdir -p /tmp/lcp/src; sd=$(ls .gpu/llama_cpp_python-*.tar.gz | head -1)
    [ -d /tmp/lcp/src/$(basename $sd .tar.gz) ] || tar xzf $sd -C /tmp/lcp/src
    SRC=$(ls -d /tmp/lcp/src/llama_cpp_python-* | head -1)
    (python3 .gpu/rawbench.py gen --state $ST --src $SRC --out $OUT > $OUT/gen.log 2>&1; echo "gen rc=$?" >> $OUT/gen.log) &
    GENPID=$!
  fi
  log "build start"; bash .gpu/build_cuda.sh; log "build done"
  [ -n "${GENPID:-}" ] && wait $GENPID; tail -3 $OUT/gen.log 2>/dev/null
  SRC=$(ls -d /tmp/lcp/src/llama_cpp_python-* | head -1) ;;
quant)
  if [ ! -f $ST/model-Q4_K_M.gguf ] && [ "$(left)" -gt 200 ]; then
    log "quant start"
    python3 - "$ST" <<'PY'
import llama_cpp, os, sys, time
st = sys.argv[1]; p = llama_cpp.llama_model_quantize_default_params(); p.ftype = 15; p.nthread = os.cpu_count()
t = time.time(); rc = llama_cpp.llama_model_quantize(f"{st}/model-f16.gguf".encode(), f"{st}/q.tmp".encode(), p)
print("quantize rc", rc, round(time.time() - t, 1), "s"); rc == 0 and os.replace(f"{st}/q.tmp", f"{st}/model-Q4_K_M.gguf")
PY
    log "quant done"; rm -f $ST/model-f16.gguf
  else log "quant skipped/done (left $(left)s)"; fi ;;
server)
  B=/tmp/lcp/skb; SV=$(find $B -name llama-server -type f 2>/dev/null | head -1)
  if [ -z "$SV" ] && [ "$(left)" -gt 200 ] && [ -d "$SRC" ]; then
    log "server build start"
    mkdir -p $SRC/vendor/llama.cpp/tools/ui && cp .gpu/ui/* $SRC/vendor/llama.cpp/tools/ui/
    ( cmake -S $SRC -B $B -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
      && timeout $(( $(left) - 60 )) cmake --build $B --target llama-server -j $(nproc) ) > $OUT/server_build.log 2>&1
    log "server build rc=$?"; tail -5 $OUT/server_build.log
  fi ;;
bench)
  SV=$(find /tmp/lcp/skb -name llama-server -type f 2>/dev/null | head -1)
  if [ -f /tmp/smol.part1 ] && [ -f /tmp/smol.part2 ] && [ ! -f /tmp/smol.gguf ]; then cat /tmp/smol.part1 /tmp/smol.part2 > /tmp/smol.gguf; fi
  GG=$SRC/vendor/llama.cpp/gguf-py
  if [ -f $ST/model-Q4_K_M.gguf ]; then
    log "bench 8B"; timeout $(( $(left) - 20 )) python3 -m eval.gpu_bench --model $ST/model-Q4_K_M.gguf --label llama3.1-8b-shape-random-Q4_K_M \
      --hbm-json $ST/results.json --gguf-py $GG ${SV:+--server-bin $SV} --out $OUT/bench-8b.json --budget $(( $(left) - 25 ))
  fi
  if [ -f /tmp/smol.gguf ] && [ "$(left)" -gt 40 ]; then
    log "bench smol"; timeout $(( $(left) - 5 )) python3 -m eval.gpu_bench --model /tmp/smol.gguf --label SmolLM2-135M-Instruct.Q4_1 \
      --hbm-json $ST/results.json --gguf-py $GG ${SV:+--server-bin $SV} --out $OUT/bench-smol.json --budget $(( $(left) - 15 )) --quick
  fi ;;
esac
done
cp $ST/results.json $OUT/rawbench.json 2>/dev/null
log "end, left $(left)s"
