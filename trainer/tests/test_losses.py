"""Min-SNR weights, SNR and offset noise against hand-computed values."""

import math

import torch

from toonlora_trainer.losses import compute_snr, min_snr_weights, sample_noise, weighted_mse


def test_snr_is_alpha_bar_over_one_minus_alpha_bar():
    alphas_cumprod = torch.tensor([0.99, 0.8, 0.5, 0.1])
    snr = compute_snr(alphas_cumprod, torch.tensor([0, 2, 3]))
    assert torch.allclose(snr, torch.tensor([99.0, 1.0, 0.1 / 0.9]))


def test_min_snr_epsilon_weights_by_hand():
    snr = torch.tensor([99.0, 5.0, 1.0, 0.1 / 0.9])
    weights = min_snr_weights(snr, 5.0, "epsilon")
    # min(snr, 5) / snr: clipped only where snr > gamma
    assert torch.allclose(weights, torch.tensor([5.0 / 99.0, 1.0, 1.0, 1.0]))


def test_min_snr_v_prediction_weights_by_hand():
    snr = torch.tensor([99.0, 5.0, 1.0])
    weights = min_snr_weights(snr, 5.0, "v_prediction")
    # min(snr, 5) / (snr + 1)
    assert torch.allclose(weights, torch.tensor([5.0 / 100.0, 5.0 / 6.0, 0.5]))


def test_gamma_zero_turns_weighting_off():
    assert torch.equal(min_snr_weights(torch.tensor([99.0, 0.5]), 0.0, "epsilon"), torch.ones(2))


def test_unknown_prediction_type_names_it():
    try:
        min_snr_weights(torch.tensor([1.0]), 5.0, "sample")
    except ValueError as error:
        assert "prediction_type" in str(error) and "'sample'" in str(error)
    else:
        raise AssertionError("expected ValueError")


def test_noise_offset_is_plain_noise_plus_offset_times_per_channel_noise():
    latents = torch.zeros(2, 4, 3, 3)
    noise = sample_noise(latents, 0.1, torch.Generator().manual_seed(7))
    reference = torch.Generator().manual_seed(7)
    base = torch.randn((2, 4, 3, 3), generator=reference)
    offset = torch.randn((2, 4, 1, 1), generator=reference)
    assert torch.allclose(noise, base + 0.1 * offset)
    # the offset is constant over each (sample, channel) plane
    residual = noise - base
    assert torch.allclose(residual, residual[:, :, :1, :1].expand_as(residual))


def test_zero_offset_is_plain_gaussian_noise():
    noise = sample_noise(torch.zeros(1, 4, 2, 2), 0.0, torch.Generator().manual_seed(3))
    assert torch.equal(noise, torch.randn((1, 4, 2, 2), generator=torch.Generator().manual_seed(3)))


def test_weighted_mse_by_hand():
    prediction = torch.zeros(2, 1, 1, 2)
    target = torch.tensor([[[[1.0, 1.0]]], [[[2.0, 0.0]]]])
    # per-sample MSE: 1.0 and 2.0; weights 0.5 and 1 -> (0.5 + 2) / 2
    assert math.isclose(weighted_mse(prediction, target, torch.tensor([0.5, 1.0])).item(), 1.25)
