"""Convolutions, pooling, residual and encoder-decoder graphs, custom activations: all exact."""

import numpy as np
import pytest
import regioncam
import torch
from engine_checks import check_against_model, check_boundary, check_tiling
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from splinecam_widget import PiecewiseLinear, Slice, declare_piecewise_linear, partition, square_domain


def image_anchors(shape, seed=0):
    return torch.rand(3, *shape, generator=torch.Generator().manual_seed(seed))


def exact(model, plane, per_region=2, patterns=True):
    result = partition(model, plane, verify=True)
    check_tiling(result)
    rng = np.random.default_rng(0)
    check_against_model(model, result, rng, per_region=per_region, patterns=patterns)
    check_boundary(result, rng)
    return result


def dense_equivalent(model: nn.Sequential, input_shape) -> nn.Sequential:
    """The same function with every affine module replaced by a Linear on flat vectors."""
    layers: list[nn.Module] = [nn.Flatten()]
    shape = tuple(input_shape)
    for module in model:
        if isinstance(module, (nn.ReLU, nn.LeakyReLU)):
            layers.append(module)
            continue
        with torch.no_grad():
            n_in = int(np.prod(shape))
            basis = torch.eye(n_in, dtype=torch.float64).reshape(n_in, *shape)
            copy = module.double()
            at_zero = copy(torch.zeros(1, *shape, dtype=torch.float64))
            columns = copy(basis) - at_zero
            module.float()
        linear = nn.Linear(n_in, at_zero.numel()).double()
        linear.weight.data = columns.reshape(n_in, -1).T.contiguous()
        linear.bias.data = at_zero.reshape(-1)
        layers.append(linear)
        shape = tuple(at_zero.shape[1:])
    return nn.Sequential(*layers).double().eval()


CONV_CASES = {
    "stride-pad1": dict(kernel_size=3, stride=2, padding=1),
    "same-reflect": dict(kernel_size=3, padding="same", padding_mode="reflect"),
    "valid-dilated": dict(kernel_size=3, padding="valid", dilation=2),
    "replicate-groups": dict(kernel_size=3, padding=1, padding_mode="replicate", groups=2),
    "circular-nobias": dict(kernel_size=(3, 2), padding=1, padding_mode="circular", bias=False),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d_net_equals_its_unrolled_dense_twin(case):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, **CONV_CASES[case]),
        nn.ReLU(),
        nn.Conv2d(4, 2, 2),
        nn.LeakyReLU(0.1),
        nn.Flatten(),
        nn.LazyLinear(3),
    )
    model(torch.zeros(1, 2, 7, 7))
    model.eval()
    plane = Slice.from_anchors(image_anchors((2, 7, 7)))
    conv = exact(model, plane)
    dense = partition(dense_equivalent(model, (2, 7, 7)), plane)
    assert conv.n_regions == dense.n_regions
    assert np.array_equal(np.sort(conv.pattern_ids), np.sort(dense.pattern_ids))
    assert np.allclose(np.sort(conv.areas), np.sort(dense.areas), rtol=1e-9)


def test_conv1d_batchnorm_avgpool_net():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv1d(3, 6, 3, padding=1),
        nn.BatchNorm1d(6),
        nn.PReLU(6),
        nn.AvgPool1d(2),
        nn.Conv1d(6, 4, 3, stride=2, padding="valid"),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16, 2),
    )
    model[1].running_mean.uniform_(-0.3, 0.3)
    model[1].running_var.uniform_(0.5, 2)
    model.eval()
    plane = Slice.from_anchors(image_anchors((3, 20)))
    result = exact(model, plane)
    assert result.layer_names == ["model[2] (PReLU)", "model[5] (ReLU)"]


@pytest.mark.slow
def test_cifar_like_cnn_with_batchnorm2d_and_adaptive_pooling():
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.ReLU6(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, 10),
    ).eval()
    exact(model, Slice.from_anchors(image_anchors((3, 8, 8))), per_region=1)


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        return self.relu2(self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x))))) + x)


@pytest.mark.slow
def test_resnet_style_block():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), ResidualBlock(4), nn.Flatten(), nn.Linear(4 * 36, 5)
    ).eval()
    result = exact(model, Slice.from_anchors(image_anchors((1, 6, 6))), per_region=1)
    assert len(result.layer_names) == 3


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(1, 4, 3, padding=1)
        self.act_down = nn.ReLU()
        self.bottom = nn.Conv2d(4, 4, 3, padding=1)
        self.act_bottom = nn.LeakyReLU(0.05)
        self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)
        self.out = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        skip = self.act_down(self.down(x))
        low = self.act_bottom(self.bottom(F.avg_pool2d(skip, 2)))
        merged = torch.cat([self.up(low), skip], dim=1)
        return self.out(merged).view(x.size(0), -1)[:, :3]


def test_unet_style_encoder_decoder_with_skip_concatenation():
    torch.manual_seed(4)
    result = exact(TinyUNet().eval(), Slice.from_anchors(image_anchors((1, 6, 6))), per_region=1)
    assert result.n_outputs == 3


class ResidualMLP(nn.Module):
    def __init__(self, width, depth, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.inp = nn.Linear(2, width)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(depth))
        self.outs = nn.ModuleList(nn.ReLU() for _ in range(depth))

    def forward(self, x):
        h = self.act(self.inp(x))
        for block, out in zip(self.blocks, self.outs):
            h = out(h + block(h))
        return h


def regioncam_residual(model: ResidualMLP):
    def linear(module):
        return regioncam.nn.Linear(module.weight.detach().T.numpy(), module.bias.detach().numpy())

    layers = [linear(model.inp), regioncam.nn.ReLU()]
    for block in model.blocks:
        layers += [
            regioncam.nn.Residual(regioncam.nn.Sequential(linear(block[0]), regioncam.nn.ReLU())),
            regioncam.nn.ReLU(),
        ]
    return regioncam.nn.Sequential(*layers)


@pytest.mark.parametrize("width, depth, seed", [(8, 1, 0), (16, 2, 1), (12, 3, 2)])
def test_residual_mlp_region_count_matches_regioncam(width, depth, seed):
    model = ResidualMLP(width, depth, seed).eval()
    result = exact(model, Slice(np.zeros(2), np.eye(2), square_domain(2.0)), per_region=1)
    cam = regioncam.Regioncam(2.0)
    cam.add(regioncam_residual(model))
    assert result.n_regions == cam.num_faces


class Zigzag(nn.Module):
    """A user activation declared piecewise-linear: 0 below -1, then slope 2, then slope -1 above 1."""

    def forward(self, x):
        return 2 * torch.clamp(x + 1, min=0) - 3 * torch.clamp(x - 1, min=0)


declare_piecewise_linear(Zigzag, lambda module: ([-1.0, 1.0], [0.0, 2.0, -1.0], 0.0))


class FunctionalActivations(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 6)
        self.b = nn.Linear(6, 6)
        self.c = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.abs(self.a(x)) - 0.5
        h = F.leaky_relu(self.b(h), 0.2) * 0.5 + torch.clamp(h, -0.3, 0.4)
        return self.c(h.relu())


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(nn.Linear(3, 8), PiecewiseLinear([-0.5, 0.0, 0.5], [0.0, 1.0, -1.0, 0.5]), nn.Linear(8, 2)),
        nn.Sequential(nn.Linear(3, 8), Zigzag(), nn.Linear(8, 8), nn.Hardsigmoid(), nn.Linear(8, 2)),
        nn.Sequential(nn.Linear(3, 8), nn.Softshrink(0.3), nn.Linear(8, 8), nn.RReLU(), nn.Linear(8, 1)),
    ],
    ids=["PiecewiseLinear", "declared", "softshrink-rrelu"],
)
def test_custom_and_uncommon_activations(model):
    torch.manual_seed(5)
    for module in model:
        if isinstance(module, nn.Linear):
            module.reset_parameters()
    model.eval()
    result = partition(
        model, Slice.from_anchors(torch.randn(3, 3, generator=torch.Generator().manual_seed(0))), verify=True
    )
    check_tiling(result)


def test_functional_abs_clamp_leaky_relu_in_a_forward():
    torch.manual_seed(6)
    model = FunctionalActivations().eval()
    result = partition(
        model, Slice.from_anchors(torch.randn(3, 3, generator=torch.Generator().manual_seed(1))), verify=True
    )
    check_tiling(result)
    assert [name.split(" ")[0] for name in result.layer_names] == ["abs", "leaky_relu", "clamp", "relu"]


@st.composite
def small_graph_nets(draw):
    seed = draw(st.integers(0, 10_000))
    torch.manual_seed(seed)
    kind = draw(st.sampled_from(["conv", "pooled", "maxpooled", "residual"]))
    channels = draw(st.integers(1, 3))
    size = draw(st.integers(4, 6))
    if kind == "residual":
        model = nn.Sequential(
            nn.Conv2d(channels, 2, 3, padding=1),
            nn.ReLU(),
            ResidualBlock(2),
            nn.Flatten(),
            nn.Linear(2 * size * size, draw(st.sampled_from([1, 3]))),
        )
    else:
        layers = [nn.Conv2d(channels, 3, 3, padding=1, stride=draw(st.sampled_from([1, 2]))), nn.LeakyReLU(0.1)]
        if kind == "pooled":
            layers += [nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(3, 2, 1), nn.ReLU()]
        if kind == "maxpooled":
            layers += [nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(3, 2, 1), nn.ReLU()]
        layers += [nn.Flatten(), nn.LazyLinear(draw(st.sampled_from([1, 2, 4])))]
        model = nn.Sequential(*layers)
        model(torch.zeros(1, channels, size, size))
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    anchors = image_anchors((channels, size, size), seed)
    plane = Slice.from_anchors(anchors, domain=draw(st.sampled_from(["square", "triangle"])))
    return model.eval(), plane, seed, kind != "maxpooled"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_graph_nets())
def test_random_conv_pooled_and_residual_nets_are_exact(case):
    model, plane, seed, has_hookable_patterns = case
    result = partition(model, plane)
    check_tiling(result)
    rng = np.random.default_rng(seed)
    check_against_model(model, result, rng, per_region=1, patterns=has_hookable_patterns)
    check_boundary(result, rng)


class Maxout(nn.Module):
    def __init__(self, n_in, n_out, pieces):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out * pieces)
        self.n_out, self.pieces = n_out, pieces

    def forward(self, x):
        return self.linear(x).view(x.size(0), self.n_out, self.pieces).max(dim=2)[0]


class PairMax(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 6)
        self.b = nn.Linear(2, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(torch.maximum(self.a(x), self.b(x)))


def test_maxout_mlp_has_one_region_per_argmax_pattern():
    torch.manual_seed(7)
    model = nn.Sequential(Maxout(2, 5, 3), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3)).eval()
    result = exact(model, Slice(np.zeros(2), np.eye(2), square_domain(2.0)), patterns=False)
    assert result.layer_names[0].startswith("max")
    winners = result.activation_pattern(0)
    assert winners.shape == (result.n_regions, 5) and winners.max() <= 2


def test_maximum_of_two_branches():
    torch.manual_seed(8)
    result = partition(PairMax().eval(), Slice(np.zeros(2), np.eye(2), square_domain(2.0)), verify=True)
    check_tiling(result)


def test_max_over_all_features_matches_regioncam():
    torch.manual_seed(9)
    # regioncam's max_pool takes the maximum of all features of the previous layer.
    model = nn.Sequential(
        nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 6), nn.Unflatten(1, (1, 6)), nn.MaxPool1d(6), nn.Flatten()
    ).eval()
    result = exact(model, Slice(np.zeros(2), np.eye(2), square_domain(2.0)), patterns=False)
    cam = regioncam.Regioncam(2.0)
    cam.linear(model[0].weight.detach().T.numpy(), model[0].bias.detach().numpy())
    cam.relu()
    cam.linear(model[2].weight.detach().T.numpy(), model[2].bias.detach().numpy())
    cam.max_pool()
    assert result.n_regions == cam.num_faces


@pytest.mark.parametrize(
    "pool, size",
    [
        (nn.MaxPool2d(2), 6),
        (nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), 6),
        (nn.MaxPool2d(2, ceil_mode=True), 5),
        (nn.AdaptiveMaxPool2d((2, 3)), 6),
    ],
    ids=["2x2", "3x3-s2-p1-ceil", "2x2-ceil-partial-windows", "adaptive"],
)
def test_cnn_with_max_pooling(pool, size):
    torch.manual_seed(10)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.LeakyReLU(0.1), pool, nn.Flatten(), nn.LazyLinear(3))
    model(torch.zeros(1, 1, size, size))
    exact(model.eval(), Slice.from_anchors(image_anchors((1, size, size))), per_region=1, patterns=False)


class Arithmetic(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 5)
        self.b = nn.Linear(3, 5)
        self.register_buffer("shift", torch.linspace(-0.5, 0.5, 5))

    def forward(self, x):
        h = torch.add(self.a(x), self.b(x), alpha=-2.0).relu()
        h = torch.sub(h, self.shift, alpha=0.5) / 3 - (1.0 - h) * 2
        return torch.cat([h[:, :2], -h[:, 3:]], dim=-1)


def test_constant_arithmetic_alpha_slicing_and_negative_cat_dims():
    torch.manual_seed(11)
    result = partition(
        Arithmetic().eval(),
        Slice.from_anchors(torch.randn(3, 3, generator=torch.Generator().manual_seed(3))),
        verify=True,
    )
    check_tiling(result)
    assert result.n_outputs == 4
