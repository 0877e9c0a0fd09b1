"""``checkpoint:PATH`` policies: a trained linear or scoring actor of dgpg_theory.ppo, mapped onto the closed-form
policies of dgpg_theory.measurement.policies, gives the actor's own probabilities and the autograd score; what does
not fit (a linear actor at another N, an MLP actor, a file that is no checkpoint) is refused, by policy_from_name with a
ValueError and by the variance_scan CLI with exit code 2."""

import json
import re

import numpy as np
import pytest
import torch
from sim_helpers import state_after_random_steps

from dgpg_theory import variance_scan
from dgpg_theory.measurement.checkpoints import policy_from_name
from dgpg_theory.ppo import Trainer, preset_config
from dgpg_theory.ppo.models import build_actor
from dgpg_theory.ppo.rollout import encoder_for
from sim.observations import observations, task_slots
from sim.scales import resolve_scale

TINY_SCAN = ["--samples", "8", "--replicates", "2", "--horizon", "5", "--warmup", "40", "--nested-outer", "2"]
TINY_SCAN += ["--nested-inner", "2", "--no-progress", "--workers", "1", "--no-plots"]


def _train(model: str, out_dir):
    """A one-episode, one-rollout run: a real trainer-written best.pt and last.pt in a few seconds."""
    config = preset_config("dgpg", 5, "quick", episodes=1, rollouts=1, parallel_envs=1, minibatch=2048,
                           critic_epochs=1, actor_epochs=1, model=model)  # fmt: skip
    Trainer(config, out_dir=out_dir).train(evaluate=False)
    return out_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {model: _train(model, tmp_path_factory.mktemp(model)) for model in ("linear", "scoring", "mlp")}


@pytest.fixture(scope="module")
def randomized(runs, tmp_path_factory):
    """Copies of the trained checkpoints with N(0, 1) actor parameters: one update moves them by only ~1e-3,
    which would leave a mapping error (a swapped block, a permuted feature) small; at O(1) it cannot hide."""
    generator = torch.Generator().manual_seed(20261124)
    paths = {}
    for model in ("linear", "scoring"):
        state = torch.load(runs[model] / "best.pt", weights_only=False)
        state["actor"] = {k: torch.randn(v.shape, generator=generator) for k, v in state["actor"].items()}
        paths[model] = tmp_path_factory.mktemp("randomized") / "best.pt"
        torch.save(state, paths[model])
    return paths


def _state(n: int, steps: int = 40):
    """A mid-episode state of 3 test scenarios at N (random actions), with its deciding agents."""
    state, scale = state_after_random_steps(n, "test", steps)
    assert len(state.job_copy) > 3
    return state, scale


def _actor_logits(path, state, scale) -> torch.Tensor:
    """log-softmax of the trainer's actor network, loaded from ``path``, on ``state``: [A, K] (with autograd)."""
    checkpoint = torch.load(path, weights_only=False)
    model = checkpoint["config"]["model"]
    shared, own, index = encoder_for(model)(state, scale)
    actor = build_actor(model, shared.shape[1], scale.n_clusters, 8, task_slots(scale.n_servers), 0)
    actor.load_state_dict(checkpoint["actor"])
    logits = actor(torch.from_numpy(shared).float(), torch.from_numpy(state.job_copy.astype(np.int64)),
                   torch.from_numpy(own).float(), torch.from_numpy(index))  # fmt: skip
    return torch.log_softmax(logits, dim=-1), actor


@pytest.mark.parametrize("model", ["linear", "scoring"])
@pytest.mark.parametrize("file", ["best.pt", "last.pt", "randomized"])
def test_probabilities_are_the_actors_softmax(runs, randomized, model, file):
    path = randomized[model] if file == "randomized" else runs[model] / file
    state, scale = _state(5)
    policy = policy_from_name(f"checkpoint:{path}", scale, seed=0)
    log_probs, _ = _actor_logits(path, state, scale)
    np.testing.assert_allclose(policy.probabilities(state), log_probs.exp().detach().numpy(), rtol=0, atol=1e-5)
    assert policy.name == "checkpoint"


def test_scoring_checkpoint_fits_every_n(randomized):
    for n in (10, 50):  # a server per action at N = 10, a cluster of 5 at N = 50
        state, scale = _state(n, steps=10)
        policy = policy_from_name(f"checkpoint:{randomized['scoring']}", scale, seed=0)
        log_probs, _ = _actor_logits(randomized["scoring"], state, scale)
        assert log_probs.shape[1] == scale.n_clusters
        np.testing.assert_allclose(policy.probabilities(state), log_probs.exp().detach().numpy(), rtol=0, atol=1e-5)


def test_a_wrong_mapping_would_be_caught(randomized):
    """Negative controls: the same comparison fails for a mapping with the linear blocks or the scoring
    interaction features swapped, so the exactness above is not vacuous (the interaction features are small, so
    swapping them moves the probabilities by only ~1e-2)."""
    from dgpg_theory.measurement.policies import FlatLinearPolicy, ScoringPolicy

    state, scale = _state(5)
    linear = policy_from_name(f"checkpoint:{randomized['linear']}", scale, seed=0)
    own_first = np.concatenate([linear.weights[:, -4:], linear.weights[:, :-4]], axis=1)  # [own | shared]
    wrong_linear = FlatLinearPolicy(own_first, linear.bias, scale)
    scoring = policy_from_name(f"checkpoint:{randomized['scoring']}", scale, seed=0)
    wrong_scoring = ScoringPolicy(scoring.theta[[0, 1, 2, 3, 4, 5, 6, 8, 7]], scale)
    for right, wrong, model in ((linear, wrong_linear, "linear"), (scoring, wrong_scoring, "scoring")):
        log_probs, _ = _actor_logits(randomized[model], state, scale)
        actor = log_probs.exp().detach().numpy()
        assert np.abs(right.probabilities(state) - actor).max() < 1e-5
        assert np.abs(wrong.probabilities(state) - actor).max() > 1e-3  # 100 × the tolerance of the exact checks


def _autograd_scores(path, state, scale, actions) -> list[dict[str, np.ndarray]]:
    """∇ log π(a_i | o_i) w.r.t. every actor parameter, by autograd, per agent i."""
    log_probs, actor = _actor_logits(path, state, scale)
    grads = []
    for i, a in enumerate(actions):
        parameters = dict(actor.named_parameters())
        values = torch.autograd.grad(log_probs[i, a], list(parameters.values()), retain_graph=True)
        grads.append({k: v.double().numpy() for k, v in zip(parameters, values, strict=True)})
    return grads


def test_linear_score_is_the_isometric_image_of_the_autograd_score(randomized):
    """FlatLinearPolicy.score returns (e_a − π)·‖õ‖ for the full score (e_a − π) ⊗ õ, õ = (o, 1): rebuilt as
    (score / ‖õ‖) ⊗ õ it must equal autograd's gradient w.r.t. [W | b] = [shared.weight | own.weight | bias]."""
    state, scale = _state(5)
    policy = policy_from_name(f"checkpoint:{randomized['linear']}", scale, seed=0)
    actions = policy.sample(state, np.random.default_rng(1))
    score = policy.score(state, actions)
    flat = np.concatenate([observations(state, scale), np.ones((len(actions), 1))], axis=1)
    for i, grad in enumerate(_autograd_scores(randomized["linear"], state, scale, actions)):
        full = np.concatenate([grad["shared.weight"], grad["own.weight"], grad["shared.bias"][:, None]], axis=1)
        rebuilt = np.outer(score[i] / np.linalg.norm(flat[i]), flat[i])
        np.testing.assert_allclose(rebuilt, full, rtol=1e-4, atol=1e-5)
        assert np.linalg.norm(full) == pytest.approx(np.linalg.norm(score[i]), rel=1e-4)


def test_scoring_score_is_the_autograd_score(randomized):
    state, scale = _state(5)
    policy = policy_from_name(f"checkpoint:{randomized['scoring']}", scale, seed=0)
    actions = policy.sample(state, np.random.default_rng(1))
    autograd = np.array([g["theta.weight"][0] for g in _autograd_scores(randomized["scoring"], state, scale, actions)])
    np.testing.assert_allclose(policy.score(state, actions), autograd, rtol=1e-4, atol=1e-5)


def test_what_does_not_fit_is_refused(runs, tmp_path):
    linear = runs["linear"] / "best.pt"
    with pytest.raises(ValueError, match=r"\(N, K\) = \(5, 5\).*\(N, K\) = \(10, 10\)"):
        policy_from_name(f"checkpoint:{linear}", resolve_scale(10), seed=0)
    with pytest.raises(ValueError, match=r"model='mlp'.*no closed-form score.*allowed models: linear, scoring"):
        policy_from_name(f"checkpoint:{runs['mlp'] / 'last.pt'}", resolve_scale(5), seed=0)
    garbage = tmp_path / "garbage.pt"
    garbage.write_text("not a checkpoint")
    not_a_run = tmp_path / "tensor.pt"
    torch.save({"weights": torch.zeros(3)}, not_a_run)
    for path in (garbage, not_a_run, tmp_path / "missing.pt"):
        with pytest.raises(ValueError, match=re.escape(f"checkpoint '{path}'") + ".*allowed"):
            policy_from_name(f"checkpoint:{path}", resolve_scale(5), seed=0)


@pytest.mark.parametrize(
    ("which", "n", "message"),
    [
        ("missing", ["5"], "cannot be read"),
        ("garbage", ["5"], "cannot be read"),
        ("linear", ["5", "10"], "(N, K) = (10, 10)"),
        ("mlp", ["5"], "no closed-form score"),
    ],
)
def test_cli_exits_2_on_a_checkpoint_that_does_not_fit(runs, tmp_path, capsys, which, n, message):
    paths = {"missing": tmp_path / "missing.pt", "garbage": tmp_path / "garbage.pt"}
    paths["garbage"].write_bytes(b"\x00garbage")
    paths |= {model: runs[model] / "best.pt" for model in ("linear", "mlp")}
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        variance_scan.main(["--n", *n, "--policy", f"checkpoint:{paths[which]}", "--out", str(out), *TINY_SCAN])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "--policy checkpoint:" in error
    assert not out.exists()


def test_cli_scans_a_scoring_checkpoint_and_records_it(runs, tmp_path):
    path = runs["scoring"] / "best.pt"
    out = tmp_path / "out"
    assert variance_scan.main(["--n", "5", "10", "--policy", f"checkpoint:{path}", "--out", str(out), *TINY_SCAN]) == 0
    config = json.loads((out / "results.json").read_text())["config"]
    assert config["checkpoint"] == {"path": str(path), "model": "scoring", "method": "dgpg", "episode": 1,
                                    "n_servers": 5, "n_clusters": 5, "queue_model": "binding"}  # fmt: skip
    assert config["policy"] == f"checkpoint:{path}"
