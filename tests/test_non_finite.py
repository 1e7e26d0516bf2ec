"""Non-finite values never pass: a BatchNorm dividing by zero, float64 overflow, NaN in verification."""

import numpy as np
import pytest
import torch
from torch import nn

from splinecam_widget import Slice, SplineCamError, partition, partition_many, square_domain
from splinecam_widget.engine.compute import verify_partition
from splinecam_widget.errors import VerificationError

SQUARE = Slice(np.zeros(2), np.eye(2), square_domain(1.0))


def zero_variance_batchnorm() -> nn.Sequential:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8, eps=0.0), nn.ReLU(), nn.Linear(8, 3)).eval()
    model[1].running_var[2:4] = 0.0
    return model


@pytest.mark.parametrize("verify", [False, True])
def test_a_batchnorm_dividing_by_zero_is_refused_naming_the_layer_and_channels(verify):
    model = zero_variance_batchnorm()
    with torch.no_grad():
        assert not torch.isfinite(model(torch.zeros(1, 2))).all()  # the model itself outputs NaN/inf
    with pytest.raises(
        SplineCamError, match=r"model\[1\] \(BatchNorm1d\) divides by sqrt\(running_var \+ eps\) = 0 in channels 2, 3"
    ):
        partition(model, SQUARE, verify=verify)


@pytest.mark.parametrize("backend", ["compiled", "torch"])
def test_float64_overflow_is_named_as_overflow_at_its_layer(backend):
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3)).double().eval()
    with torch.no_grad():
        for layer in (model[0], model[2], model[4]):
            layer.weight.mul_(1e160)
    with pytest.raises(SplineCamError, match=r"from model\[2\] \(Linear\) on.*overflow") as error:
        partition(model, SQUARE, backend=backend)
    assert "contains NaN" not in str(error.value)
    with pytest.raises(SplineCamError, match="overflow"):
        partition_many(model, [SQUARE, SQUARE], backend=backend)


def test_weights_of_1e160_that_do_not_overflow_give_an_exact_partition():
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)).double().eval()
    with torch.no_grad():
        model[0].weight.mul_(1e160)
        model[2].weight.mul_(1e-160)
    assert partition(model, SQUARE, verify=True).n_regions >= 2


@pytest.mark.parametrize("where", ["map", "model"])
def test_verification_fails_on_any_non_finite_value(where):
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)).double().eval()
    result = partition(model, SQUARE)
    if where == "map":
        result.local_affine = result.local_affine.copy()
        result.local_affine[0, 1, 2] = np.nan
    else:
        with torch.no_grad():
            model[2].bias[1] = float("nan")  # changed after partitioning: the map is finite, the model not
    with pytest.raises(VerificationError, match="not finite"):
        verify_partition(model, result, torch.device("cpu"))


def test_verify_does_not_need_to_copy_a_float64_model():
    class Uncopyable(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 2)).double()
            self.lock = __import__("threading").Lock()  # deepcopy cannot copy a lock

        def forward(self, x):
            return self.body(x)

    model = Uncopyable().eval()
    assert partition(model, SQUARE, verify=True).n_regions >= 2
    float32 = Uncopyable().float().eval()
    with pytest.raises(SplineCamError, match=r"verify=True .* copy\.deepcopy\(model\) failed"):
        partition(float32, SQUARE, verify=True)
