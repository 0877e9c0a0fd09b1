#!/usr/bin/env bash
# The trainer on one CUDA GPU at the paper's largest scale: DG-PG, N = 200, the nn preset (Table 7: hidden 1024,
# mini-batch 2048, 4 rollouts per episode, 1 parallel env, ε = 0.4), 10 episodes, the update on the GPU and the
# rollouts on the CPU simulator. Prints the per-episode rollout and update seconds (Table 9 gives 210 s per episode
# at N = 200 on an Apple M1) and the best checkpoint's test reward beside Best-Fit on the same 40 test scenarios.
#
#     bash scripts/gpu_check.sh [OUT_DIR]   (default $OUT/gpu_check, else runs/gpu_check; EPISODES=10,
#                                           TORCH_THREADS=nproc/2, TRAIN_TIMEOUT=450 seconds for the training)
#
# N=5 DEVICE=cpu EPISODES=1 bash scripts/gpu_check.sh /tmp/x is a smoke run of the script itself on a CPU.
#
# Planned to fit in 8 minutes on one H100 with 16 CPU cores; not yet run on a GPU (see the README's trainer
# section for what has been measured). Needs python3 with torch (CUDA), numpy, scipy, numba and tqdm; runs
# from the repository without installing it.
set -euo pipefail
out_dir="$(realpath -m "${1:-${OUT:-runs}/gpu_check}")"  # resolved before the cd below
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
episodes="${EPISODES:-10}"
servers="${N:-200}"
device="${DEVICE:-cuda}"
threads="${TORCH_THREADS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

if [ "$device" = cuda ]; then
    "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "gpu_check: torch sees no CUDA GPU")'
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
echo "gpu_check: N = $servers, $episodes episodes, torch threads $threads (acting on the CPU), update on $device"
start=$(date +%s)
status=0  # a training cut off by the timeout still gets its episodes printed below
timeout "${TRAIN_TIMEOUT:-450}" "$python" -m dgpg_theory.train --method dgpg --n "$servers" --preset nn \
    --episodes "$episodes" --device "$device" --torch-threads "$threads" --out "$out_dir" --overwrite || status=$?
echo "gpu_check: wall time $(( $(date +%s) - start )) s (training, test evaluation and references), exit $status"

"$python" - "$out_dir" <<'PY'
import csv, json, sys
from pathlib import Path

run = Path(sys.argv[1])
if not (run / "episodes.csv").exists():
    sys.exit("gpu_check: no episodes.csv: the training stopped before its first episode ended")
rows = list(csv.DictReader(open(run / "episodes.csv")))
print(f"{'episode':>7} {'rollout s':>10} {'update s':>9} {'s/episode':>10} {'reward':>9}")
for row in rows:
    rollout, update = float(row["rollout_seconds"]), float(row["update_seconds"])
    print(f"{row['episode']:>7} {rollout:>10.1f} {update:>9.1f} {rollout + update:>10.1f} {float(row['reward']):>9.2f}")
if not (run / "result.json").exists():
    sys.exit("gpu_check: no result.json (training cut off or failed): the episodes above are all there is")
result = json.load(open(run / "result.json"))
best_fit = result["references"]["best-fit"]
print(f"device {result['device']}; best checkpoint (episode {result['best_episode']}) on the 40 test scenarios: "
      f"{result['test_mean_reward']:.2f} ± {result['test_std_reward']:.2f}; "
      f"Best-Fit {best_fit['mean']:.2f} ± {best_fit['std']:.2f} (paper, Table 9: 210 s per episode)")
PY
exit "$status"
