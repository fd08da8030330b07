# Sourced by the benchmarks: the model shapes they share and the environment every side gets.

# bench_shape NAME -> "LAYERS HEADS EMBED CONTEXT BATCH"; fails for an unknown name.
bench_shape() {
  case "$1" in
    baby) echo "4 4 128 64 12" ;;      # nanoGPT's CPU baby GPT, conf/gpt-baby.conf
    10m)  echo "6 6 384 256 8" ;;      # 10.7 M parameters
    gemm) echo "2 12 768 64 16" ;;     # GEMM-bound: wide layers, short context
    *) return 1 ;;
  esac
}

# bench_env ROOT THREADS: the same kernels, threads and wait policy on every side. An empty
# OPENBLAS_CORETYPE is not "unset": OpenBLAS 0.3.21 then reports "Core not found" and picks a kernel
# on its own, so unset it.
bench_env() {
  local coretype="${OPENBLAS_CORETYPE:-$("$1/submit/openblas-coretype")}"
  if [ -n "$coretype" ]; then export OPENBLAS_CORETYPE="$coretype"; else unset OPENBLAS_CORETYPE; fi
  export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$2" OPENBLAS_NUM_THREADS="$2"
}
