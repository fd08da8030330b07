#!/usr/bin/env bash
# Installs the PyTorch-CPU reference of bench/vs-pytorch.sh: Debian's python3-torch (1.13 on
# bookworm), which runs on Debian's own interpreter (/usr/bin/python3, not a pyenv/venv python3 that
# may come first on PATH) and uses Debian's OpenBLAS. Idempotent: does nothing when torch imports.
#   bench/pytorch/install.sh          # as root, or through sudo when it is available
set -euo pipefail
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c 'import torch, numpy' 2>/dev/null; then
  echo "install: torch $("$py" -c 'import torch; print(torch.__version__)') already installed for $py" >&2
  exit 0
fi
command -v apt-get >/dev/null || { echo "install: apt-get not found; install PyTorch for $py by hand" >&2; exit 1; }
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install: need root (or sudo) to apt-get install python3-torch" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends python3 python3-torch python3-numpy libopenblas0-pthread
"$py" -c 'import torch, numpy' || { echo "install: python3-torch installed but 'import torch' fails under $py" >&2; exit 1; }
echo "install: torch $("$py" -c 'import torch; print(torch.__version__)') ready for $py" >&2
