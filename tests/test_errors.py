"""Bad input gets a clear error naming the problem; nothing the user passed is modified."""

import numpy as np
import pytest
import torch
from torch import nn

from splinecam_widget import (
    RegionBudgetExceeded,
    Slice,
    SplineCamError,
    UnsupportedModelError,
    VerificationError,
    partition,
    square_domain,
)

ANCHORS = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])


def small_net(*middle: nn.Module) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), *middle, nn.Linear(8, 2)).eval()


def run(model, anchors=ANCHORS, **kwargs):
    return partition(model, Slice.from_anchors(anchors), **kwargs)


def test_unsupported_module_is_named_with_the_supported_list():
    model = nn.Sequential(nn.Linear(2, 8), nn.Sequential(nn.ReLU(), nn.Bilinear(8, 8, 8)), nn.Linear(8, 2)).eval()
    with pytest.raises(
        UnsupportedModelError, match=r"model\[1\]\[1\] \(Bilinear\) is not supported; supported: .*Conv1d/2d/3d"
    ):
        run(model)


def test_unsupported_operation_in_a_custom_forward_names_the_source_line():
    class Wavy(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 8)

        def forward(self, x):
            return torch.sin(self.linear(x))

    with pytest.raises(
        UnsupportedModelError,
        match=r"sin \(at .*test_errors.py.*return torch.sin\(self.linear\(x\)\)\) is not supported",
    ):
        run(nn.Sequential(Wavy(), nn.Linear(8, 2)).eval())


def test_untraceable_forward_is_explained():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedModelError, match="torch.fx could not trace the model .*branches on input values"):
        run(Branchy().eval())


def test_product_of_two_input_dependent_tensors_is_rejected():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    with pytest.raises(UnsupportedModelError, match="not piecewise-linear"):
        run(Square().eval())


def test_input_normalisers_are_explained():
    model = nn.Sequential(nn.Linear(2, 8), nn.LayerNorm(8), nn.Linear(8, 2)).eval()
    with pytest.raises(UnsupportedModelError, match=r"LayerNorm\) normalises with statistics of each input"):
        run(model)


@pytest.mark.parametrize("activation", [nn.Tanh(), nn.GELU(), nn.SiLU(), nn.Sigmoid()])
def test_smooth_activation_says_piecewise_linear_is_needed(activation):
    with pytest.raises(UnsupportedModelError, match="is not piecewise-linear: exact partitions need piecewise-linear"):
        run(small_net(activation))


def test_softmax_suggests_partitioning_the_logits():
    model = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1)).eval()
    with pytest.raises(UnsupportedModelError, match="logits"):
        run(model)


def test_train_mode_is_refused_naming_the_modules_that_train_differently():
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2)).train()
    with pytest.raises(SplineCamError, match=r"training mode, where 1 \(BatchNorm1d\), 3 \(Dropout\) .*model.eval\(\)"):
        run(model)


def test_train_mode_of_a_plain_linear_relu_model_is_fine():
    model = small_net(nn.ReLU()).train()
    assert run(model, verify=True).n_regions == run(model.eval()).n_regions


def test_train_mode_of_a_custom_module_reading_its_training_flag_is_refused():
    class Noisy(nn.Module):
        def forward(self, x):
            return x * 0.5 if self.training else x

    with pytest.raises(SplineCamError, match=r"training mode, where 1 \(Noisy\)"):
        run(nn.Sequential(nn.Linear(2, 8), Noisy(), nn.ReLU(), nn.Linear(8, 2)).train())


def test_nan_weights_are_named():
    model = small_net(nn.ReLU())
    with torch.no_grad():
        model[2].bias[0] = float("nan")
    with pytest.raises(SplineCamError, match=r"2.bias contains NaN"):
        run(model)


def test_batchnorm_without_running_stats_is_rejected():
    model = small_net(nn.BatchNorm1d(8, track_running_stats=False), nn.ReLU())
    with pytest.raises(UnsupportedModelError, match="track_running_stats=False"):
        run(model)


def test_anchor_shape_the_model_cannot_take():
    with pytest.raises(SplineCamError, match=r"model\[0\] \(Linear\) cannot take inputs of shape \(5,\)"):
        run(small_net(nn.ReLU()), anchors=torch.randn(3, 5))


@pytest.mark.parametrize(
    "anchors, message",
    [
        (torch.randn(2, 2), r"shape \(3, \*input_shape\)"),
        (torch.randn(3), r"shape \(3, \*input_shape\)"),
        (torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), "collinear"),
        (torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 2.0]]), "anchors 0 and 1 are identical"),
        (torch.tensor([[0.0, float("nan")], [1.0, 0.0], [0.0, 1.0]]), "anchors contains NaN"),
        (torch.tensor([[0.0, float("inf")], [1.0, 0.0], [0.0, 1.0]]), "anchors contains NaN or infinite"),
        ("three points", "anchors must be numeric"),
    ],
)
def test_bad_anchors(anchors, message):
    with pytest.raises(SplineCamError, match=message):
        Slice.from_anchors(anchors)


@pytest.mark.parametrize(
    "domain, message",
    [
        ([[0, 0], [2, 0], [1, 0.2], [2, 2], [0, 2]], "not a convex polygon"),
        ([[0, 0], [1, 1], [2, 2]], "degenerate"),
        ([[0, 0], [1, 1]], r"\(n, 2\) array of n >= 3"),
        ("circle", "domain must be one of"),
        ([[0, 0], [1, np.nan], [0, 1]], "domain contains NaN"),
    ],
)
def test_bad_domains(domain, message):
    with pytest.raises(SplineCamError, match=message):
        Slice.from_anchors(ANCHORS, domain=domain)


def test_clockwise_domain_is_accepted_and_reoriented():
    plane = Slice.from_anchors(ANCHORS, domain=[[0, 0], [0, 1], [1, 1], [1, 0]])
    assert plane.domain_area == pytest.approx(1.0)


def test_basis_must_be_orthonormal():
    with pytest.raises(SplineCamError, match="orthonormal"):
        Slice(np.zeros(3), np.ones((3, 2)), square_domain(1))


def test_region_budget():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1)).eval()
    with pytest.raises(RegionBudgetExceeded, match="more than max_regions=20 regions") as info:
        partition(model, Slice(np.zeros(2), np.eye(2), square_domain(5)), max_regions=20)
    assert info.value.limit == 20


def test_threads_must_be_a_positive_integer():
    with pytest.raises(SplineCamError, match="threads must be a positive integer or None"):
        run(small_net(nn.ReLU()), threads=0)


def test_levels_only_for_one_output():
    with pytest.raises(SplineCamError, match="levels apply to one-output networks; this model has 2 outputs"):
        run(small_net(nn.ReLU()), levels=[0.5])


def test_unavailable_device():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SplineCamError, match="no CUDA GPU"):
        run(small_net(nn.ReLU()), device="cuda")


def test_not_a_slice_or_not_a_module():
    with pytest.raises(SplineCamError, match="slice must be a Slice"):
        partition(small_net(nn.ReLU()), np.eye(2))
    with pytest.raises(SplineCamError, match="model must be a torch.nn.Module"):
        partition(lambda x: x, Slice.from_anchors(ANCHORS))


def test_nothing_the_user_passed_is_modified():
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.PReLU(8), nn.Linear(8, 3)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    anchors_t = torch.randn(3, 2)
    anchors_n = anchors_t.numpy().copy()
    kept_t, kept_n = anchors_t.clone(), anchors_n.copy()
    partition(model, Slice.from_anchors(anchors_t), verify=True)
    partition(model, Slice.from_anchors(anchors_n), verify=True)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) and before[k].dtype == after[k].dtype for k in before)
    assert not model.training and next(model.parameters()).dtype == torch.float32
    assert torch.equal(anchors_t, kept_t) and np.array_equal(anchors_n, kept_n)


def test_reshape_across_the_batch_is_rejected():
    class Flattener(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(2, 4)

        def forward(self, x):
            return self.linear(x).view(-1)

    with pytest.raises(UnsupportedModelError, match="mixes samples of the batch"):
        run(Flattener().eval())


DIAMOND = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]


@pytest.mark.parametrize(
    "domain, message",
    [
        (DIAMOND + DIAMOND, "winds around 2 times \\(a shape traced twice"),
        (
            DIAMOND + [[1.0 + 1e-3, 0.0], [0.0, 1.0 + 1e-3], [-1.0 - 1e-3, 0.0], [0.0, -1.0 - 1e-3]],
            "winds around 2 times",
        ),
        ([[np.cos(a), np.sin(a)] for a in np.arange(5) * 4 * np.pi / 5], "winds around 2 times"),
        ([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], "vertex 2 repeats vertex 1"),
        (square_domain(1e300), "coordinates up to 1e\\+300: beyond 1e\\+150 their squares overflow"),
    ],
)
def test_domains_must_be_simple_convex_polygons(domain, message):
    with pytest.raises(SplineCamError, match=message):
        Slice.from_anchors(ANCHORS, domain=domain)


def test_a_diamond_traced_twice_is_not_a_bigger_domain():
    with pytest.raises(SplineCamError):
        Slice(np.zeros(2), np.eye(2), DIAMOND + DIAMOND)
    assert Slice(np.zeros(2), np.eye(2), DIAMOND).domain_area == pytest.approx(2.0)


def test_complex_anchors_are_refused_without_a_warning(recwarn):
    with pytest.raises(SplineCamError, match="anchors must be real numbers"):
        Slice.from_anchors(np.array([[1 + 1j, 0], [0, 1], [1, 1]]))
    with pytest.raises(SplineCamError, match="anchors must be real numbers"):
        Slice.from_anchors(torch.tensor([[1 + 1j, 0], [0, 1], [1, 1]]))
    assert not [w for w in recwarn if "Complex" in type(w.message).__name__]


def test_integer_weights_are_refused_because_torch_cannot_run_them():
    model = small_net(nn.ReLU())
    model[0].weight = nn.Parameter(torch.ones(8, 2, dtype=torch.int64), requires_grad=False)
    with pytest.raises(SplineCamError, match=r"0.weight has dtype torch.int64: torch cannot run the model"):
        run(model)


def test_a_model_on_the_meta_device_is_refused():
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    with pytest.raises(SplineCamError, match="on the meta device and holds no values"):
        run(model)


def test_a_model_with_no_outputs_is_refused():
    with pytest.raises(SplineCamError, match="the model has no outputs"):
        run(nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 0)).eval())


@pytest.mark.parametrize(
    "budget, message",
    [
        ("x", "memory_budget must be a positive number of bytes"),
        (-5, "memory_budget must be a positive number of bytes"),
        (2.5e9, "memory_budget must be a positive number of bytes"),
    ],
)
def test_memory_budget_is_checked(budget, message):
    with pytest.raises(SplineCamError, match=message):
        run(small_net(nn.ReLU()), memory_budget=budget)


def test_verify_is_relative_to_the_scale_of_tiny_outputs(monkeypatch):
    from splinecam_widget.engine.compute import verify_partition

    model = small_net(nn.ReLU())
    with torch.no_grad():
        model[2].weight.mul_(1e-10)
        model[2].bias.mul_(1e-10)
    result = run(model, verify=True)  # the exact partition passes
    result.local_affine = result.local_affine * (1 + 1e-4)  # a map off by 1e-4 of outputs that are ~1e-10
    with pytest.raises(VerificationError, match="differs from the region's affine map"):
        verify_partition(model, result, torch.device("cpu"))
