"""cblas_sgemm of one OpenBLAS library, called through ctypes on the matrix products of the GPT
shapes in bench/vs-pytorch.sh (baby: [B*T, C] x [C, 3C] etc.; 10m and gemm-bound: the larger ones),
each timed alone: 20 warm calls, then 5 timings of enough calls for ~2 GFLOP each.
Prints the library's core name and, per product, the fastest and median time and GFLOP/s.
    python3 bench/blas/sgemm.py LIBOPENBLAS.so"""
import ctypes
import sys
import time

import numpy as np

lib = ctypes.CDLL(sys.argv[1])
fp = ctypes.POINTER(ctypes.c_float)
i, f = ctypes.c_int, ctypes.c_float
lib.cblas_sgemm.restype = None
lib.cblas_sgemm.argtypes = [i, i, i, i, i, i, f, fp, i, fp, i, f, fp, i]
lib.openblas_get_corename.restype = ctypes.c_char_p
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
print(f"library {sys.argv[1]}: core {lib.openblas_get_corename().decode()}, "
      f"{lib.openblas_get_num_threads()} threads", flush=True)

# (m, k, n, A transposed, B transposed): forward x W, weight gradient x^T dy, input gradient dy W^T.
PRODUCTS = [(768, 128, 384, 0, 0), (768, 128, 128, 0, 0), (768, 128, 512, 0, 0), (768, 512, 128, 0, 0),
            (128, 768, 384, 1, 0), (128, 768, 512, 1, 0), (768, 384, 128, 0, 1), (768, 128, 65, 0, 1),
            (2048, 384, 1152, 0, 0), (384, 2048, 1536, 1, 0), (1024, 768, 3072, 0, 0)]
rng = np.random.default_rng(0)
for m, k, n, ta, tb in PRODUCTS:
    a = rng.random((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.random((n, k) if tb else (k, n), dtype=np.float32)
    c = np.zeros((m, n), np.float32)
    args = (ROW_MAJOR, TRANS if ta else NO_TRANS, TRANS if tb else NO_TRANS, m, n, k, 1.0,
            a.ctypes.data_as(fp), a.shape[1], b.ctypes.data_as(fp), b.shape[1], 0.0, c.ctypes.data_as(fp), n)
    for _ in range(20):
        lib.cblas_sgemm(*args)
    calls = max(20, int(2e9 / (2 * m * n * k)))
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(calls):
            lib.cblas_sgemm(*args)
        times.append((time.perf_counter() - t) / calls)
    times.sort()
    print(f"{m}x{k}x{n} {'T' if ta else 'N'}{'T' if tb else 'N'}: min {times[0] * 1e3:.3f} ms, "
          f"median {times[2] * 1e3:.3f} ms, {2 * m * n * k / times[0] / 1e9:.1f} GFLOP/s", flush=True)
