"""The split-input networks compute the paper's models on the flat H.2 observation."""

import numpy as np
import pytest
import torch
from sim_helpers import state_after_random_steps

from dgpg_theory.ppo.config import MODELS
from dgpg_theory.ppo.models import CLOSED_FORM_MODELS, build_actor, build_critic, closed_form_parameters
from dgpg_theory.ppo.rollout import flat_encoder, scoring_encoder
from sim.observations import observations, task_slots


def _state_after(steps: int, n: int = 5):
    return state_after_random_steps(n, "train", steps)


def test_linear_actor_is_softmax_of_w_o_plus_b():
    state, scale = _state_after(40)
    shared, own, index = flat_encoder(state, scale)
    torch.manual_seed(0)
    actor = build_actor("linear", shared.shape[1], scale.n_clusters, 0, task_slots(5), 0)
    logits = actor(torch.from_numpy(shared).float(), torch.from_numpy(state.job_copy.astype(np.int64)),
                   torch.from_numpy(own).float(), torch.from_numpy(index)).detach().numpy()  # fmt: skip
    weight = torch.cat([actor.shared.weight, actor.own.weight], dim=1).detach().numpy()
    flat = observations(state, scale)
    np.testing.assert_allclose(logits, flat @ weight.T + actor.shared.bias.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_gathering_order_does_not_change_the_mlp():
    state, scale = _state_after(40)
    shared, own, index = (torch.from_numpy(np.asarray(a)) for a in flat_encoder(state, scale))
    rows = torch.from_numpy(state.job_copy.astype(np.int64))
    torch.manual_seed(0)
    actor = build_actor("mlp", shared.shape[1], scale.n_clusters, 32, task_slots(5), 16)
    per_agent = actor(shared.float()[rows], torch.arange(len(rows)), own.float(), index)
    per_copy = actor(shared.float(), rows, own.float(), index)
    torch.testing.assert_close(per_agent, per_copy)
    assert per_copy.shape == (len(rows), scale.n_clusters)


def test_scoring_model_size_does_not_depend_on_n():
    sizes = []
    for n in (5, 50):
        state, scale = _state_after(5, n)
        shared, own, _ = scoring_encoder(state, scale)
        actor = build_actor("scoring", shared.shape[1], scale.n_clusters, 0, task_slots(n), 0)
        critic = build_critic("scoring", "central", shared.shape[1], scale.n_clusters, 0, task_slots(n), 0)
        logits = actor(torch.from_numpy(shared).float(), torch.from_numpy(state.job_copy.astype(np.int64)),
                       torch.from_numpy(own).float())  # fmt: skip
        assert torch.all(logits == 0)  # θ = 0: uniform
        sizes.append(sum(p.numel() for p in actor.parameters()) + sum(p.numel() for p in critic.parameters()))
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("model", CLOSED_FORM_MODELS)
@pytest.mark.parametrize("n", [5, 50])
def test_closed_form_parameters_are_the_built_actors(model, n):
    """The table the measurement layer reads names every parameter of the actor, with its shape: renaming a
    module of ``SplitInputNetwork`` or ``ScoringActor`` fails here, not in a scan."""
    state, scale = _state_after(5, n)
    shared, _, _ = (flat_encoder if model == "linear" else scoring_encoder)(state, scale)
    actor = build_actor(model, shared.shape[1], scale.n_clusters, 32, task_slots(n), 16)
    built = {name: tuple(p.shape) for name, p in actor.named_parameters()}
    expected = closed_form_parameters(model, scale.n_clusters)
    assert set(expected) == set(built)
    for name, shape in expected.items():
        assert len(shape) == len(built[name]), name
        assert all(e is None or e == b for e, b in zip(shape, built[name], strict=True)), name
    assert model != "linear" or expected["shared.weight"][1] is None  # its width grows with N


def test_mlp_has_no_closed_form():
    assert set(CLOSED_FORM_MODELS) < set(MODELS)
    with pytest.raises(ValueError, match="model='mlp' has no closed-form score function; allowed: linear, scoring"):
        closed_form_parameters("mlp", 5)
