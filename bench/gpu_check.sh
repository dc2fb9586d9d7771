#!/usr/bin/env bash
# The CUDA check, for a machine with an NVIDIA GPU, a CUDA 12 driver and network access to PyPI.
#
#   bash bench/gpu_check.sh            # prints the provider isudt really uses, then the benchmark table
#
# 1. installs isudt and swaps onnxruntime for onnxruntime-gpu (the two must not be installed together;
#    the [cuda,cudnn] extra brings the CUDA and cuDNN runtime libraries as pip packages);
# 2. starts `isudt serve --providers cuda` on the null audio device and asks /status which provider runs
#    (a cuda request that cannot run on the GPU is refused at start, never silently served on the CPU);
# 3. runs the benchmark with inference.providers=cuda: its /frame and /latent/image rows are the GPU numbers.
# Results: bench/results/gpu-<date>-<host>.json (and the printed table).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
PORT=${PORT:-12399}

echo "== install (onnxruntime-gpu replaces onnxruntime)"
$PY -m pip install -q .
$PY -m pip uninstall -y -q onnxruntime || true
$PY -m pip install -q "onnxruntime-gpu[cuda,cudnn]"
$PY -c "import onnxruntime as o; print('onnxruntime', o.__version__, o.get_device(), o.get_available_providers())"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

echo "== isudt serve --providers cuda (null audio)"
isudt serve --device null --providers cuda --port "$PORT" --reply 127.0.0.1:0 --log-level info &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  isudt send --port "$PORT" --wait 0.2 /status 2>/dev/null | grep -q provider && break
  sleep 0.2
done
isudt send --port "$PORT" /status | tr ' ' '\n' | grep -A1 -E '^(provider|model_id)$' | paste - -
kill $pid; wait $pid || true
trap - EXIT

echo "== benchmark on CUDA"
$PY bench/bench_daemon.py --set inference.providers=cuda --out "bench/results/gpu-$(date +%Y%m%d-%H%M%S)-$(hostname).json"
