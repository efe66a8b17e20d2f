"""toonlora_trainer — the Python worker: LoRA training, BLIP captions and generation, driven over stdio."""
