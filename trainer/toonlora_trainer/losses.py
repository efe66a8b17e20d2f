"""toonlora_trainer/losses.py — the diffusion loss math: SNR, Min-SNR weights, offset noise, targets.

Pure tensor functions: values in, values out, randomness only from the generator argument.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def compute_snr(alphas_cumprod: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """SNR(t) = alpha_bar_t / (1 - alpha_bar_t), per timestep (float32).

    Same quantity as diffusers.training_utils.compute_snr ((sqrt(a)/sqrt(1-a))^2) and kohya's
    `all_snr`, taken from the scheduler's `alphas_cumprod` table.
    """
    alpha_bar = alphas_cumprod.to(device=timesteps.device, dtype=torch.float32)[timesteps]
    return alpha_bar / (1.0 - alpha_bar)


def min_snr_weights(snr: torch.Tensor, gamma: float, prediction_type: str) -> torch.Tensor:
    """Per-sample loss weights of Min-SNR-gamma (Hang et al. 2023, arXiv:2303.09556).

    epsilon: min(SNR, gamma) / SNR; v_prediction: min(SNR, gamma) / (SNR + 1). This is the form of
    diffusers examples/text_to_image/train_text_to_image_lora.py (`mse_loss_weights`) and kohya
    sd-scripts library/custom_train_functions.py `apply_snr_weight(..., v_prediction)`.
    gamma <= 0 turns the weighting off (all ones). Raises ValueError for other prediction types.
    """
    if gamma <= 0:
        return torch.ones_like(snr)
    clipped = torch.clamp(snr, max=gamma)
    if prediction_type == "epsilon":
        return clipped / snr
    if prediction_type == "v_prediction":
        return clipped / (snr + 1.0)
    raise ValueError(f"prediction_type: expected 'epsilon' or 'v_prediction', got {prediction_type!r}")


def sample_noise(latents: torch.Tensor, offset: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian noise like `latents` plus offset noise `offset * randn(B, C, 1, 1)`.

    Offset noise (Guttenberg 2023; `--noise_offset` in both reference trainers) shifts each channel's
    mean, so the model learns to change overall brightness (very dark / bright images).
    Noise is drawn on the generator's device (CPU) for reproducible resumes, then moved.
    """
    noise = torch.randn(latents.shape, generator=generator, dtype=torch.float32)
    if offset > 0:
        b, c = latents.shape[:2]
        noise = noise + offset * torch.randn((b, c, 1, 1), generator=generator, dtype=torch.float32)
    return noise.to(device=latents.device, dtype=latents.dtype)


def training_target(latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor, scheduler, prediction_type: str) -> torch.Tensor:
    """What the UNet should predict: the noise (epsilon) or the velocity (v_prediction)."""
    if prediction_type == "epsilon":
        return noise
    if prediction_type == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps)
    raise ValueError(f"prediction_type: expected 'epsilon' or 'v_prediction', got {prediction_type!r}")


def weighted_mse(prediction: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of per-sample MSE times its Min-SNR weight (float32)."""
    per_sample = F.mse_loss(prediction.float(), target.float(), reduction="none").mean(dim=list(range(1, prediction.ndim)))
    return (per_sample * weights.to(per_sample.device)).mean()
