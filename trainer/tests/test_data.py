"""kohya folder layout, repeats, captions and trigger-first caption shuffling."""

import random

import numpy as np
import pytest
import torch
from PIL import Image
from helpers import make_pattern_dataset, run_worker, training_config

from toonlora_trainer.batch_order import batch_indices, repeated_indices
from toonlora_trainer.data import scan_kohya_dataset, shuffle_caption
from toonlora_trainer.dataset_items import DatasetError


def test_scan_reads_repeats_trigger_and_captions(tmp_path):
    make_pattern_dataset(tmp_path, images=2, repeats=7)
    (tmp_path / "3_sks pattern").mkdir()
    (tmp_path / "3_sks pattern" / "x.png").write_bytes((tmp_path / "7_sks pattern" / "img0.png").read_bytes())
    (tmp_path / "notes").mkdir()  # not a kohya folder: ignored
    dataset = scan_kohya_dataset(str(tmp_path))
    assert [i.repeats for i in dataset.items] == [3, 7, 7]
    assert dataset.trigger == "sks"
    assert dataset.items[0].caption == "sks pattern"  # no .txt: the folder's class tokens
    assert dataset.items[1].caption == "sks, striped pattern, red and yellow"
    assert dataset.repeated_length == 17


def test_empty_dataset_names_the_folder_and_fix(tmp_path):
    with pytest.raises(DatasetError, match=r"no images found .*toonlora prep"):
        scan_kohya_dataset(str(tmp_path))
    with pytest.raises(DatasetError, match=r"not a folder"):
        scan_kohya_dataset(str(tmp_path / "missing"))


def test_a_dataset_folder_holding_only_a_stopped_prep_runs_staging_says_so(tmp_path):
    (tmp_path / ".toonlora-prep-staging" / "10_sks girl").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"A prep run into this folder was stopped before it finished .*prep` again"):
        scan_kohya_dataset(str(tmp_path))


def test_empty_dataset_is_missing_input(tmp_path):
    with pytest.raises(DatasetError) as empty:
        scan_kohya_dataset(str(tmp_path))
    assert empty.value.missing


def test_an_image_that_does_not_decode_is_left_out_with_a_warning_naming_it(tmp_path):
    make_pattern_dataset(tmp_path, images=3, repeats=2)
    folder = tmp_path / "2_sks pattern"
    good = (folder / "img0.png").read_bytes()
    (folder / "img1.png").write_bytes(b"not an image at all")
    (folder / "img2.png").write_bytes(good[: len(good) // 2])  # truncated: the header reads, the pixels do not
    dataset = scan_kohya_dataset(str(tmp_path))
    assert [i.image_path for i in dataset.items] == [str(folder / "img0.png")]
    left_out = [w for w in dataset.warnings if "left out of the training set" in w]
    assert len(left_out) == 2
    assert str(folder / "img1.png") in left_out[0] and "cannot read image" in left_out[0]
    assert str(folder / "img2.png") in left_out[1]


def test_a_dataset_where_no_image_decodes_names_them_and_is_not_missing(tmp_path):
    make_pattern_dataset(tmp_path, images=2, repeats=1)
    for image in (tmp_path / "1_sks pattern").glob("*.png"):
        image.write_bytes(b"GIF89a broken")
    with pytest.raises(DatasetError, match=r"no readable images, 2 could not be decoded: .*img0\.png: cannot read image") as error:
        scan_kohya_dataset(str(tmp_path))
    assert not error.value.missing


def test_the_worker_reports_an_undecodable_dataset_as_invalid_input_and_a_missing_one_as_missing(tmp_path):
    make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    (tmp_path / "ds" / "1_sks pattern" / "img0.png").write_bytes(b"broken")
    kinds = {}
    for name in ("ds", "nowhere"):
        request = {"version": 1, "command": "train", "dataset_dir": str(tmp_path / name), "run_dir": str(tmp_path / f"run-{name}"),
                   "resume": False, "config": training_config(steps=1)}
        code, events, stderr = run_worker("train", request)
        assert code == 1 and events[-1]["type"] == "error", stderr
        assert str(tmp_path / name) in events[-1]["message"]
        kinds[name] = events[-1]["kind"]
    assert kinds == {"ds": "input_invalid", "nowhere": "input_missing"}


def test_shuffle_keeps_trigger_first_and_all_tags():
    caption = "sks, black hair, red eyes, school uniform, smile"
    seen = set()
    for seed in range(20):
        shuffled = shuffle_caption(caption, "sks", random.Random(seed))
        tags = shuffled.split(", ")
        assert tags[0] == "sks"
        assert sorted(tags[1:]) == sorted(["black hair", "red eyes", "school uniform", "smile"])
        seen.add(shuffled)
    assert len(seen) > 5


def test_shuffle_keeps_one_trigger_when_the_caption_has_it_elsewhere():
    for caption in ("1girl, sks, smile", "Sks, smile, 1girl", "smile, 1girl, SKS"):
        shuffled = shuffle_caption(caption, "sks", random.Random(3)).split(", ")
        assert shuffled[0] == "sks" and len(shuffled) == 3 and sorted(shuffled[1:]) == ["1girl", "smile"], caption


def test_shuffle_puts_trigger_first_when_caption_lacks_it():
    assert shuffle_caption("a girl", "sks", random.Random(0)) == "sks, a girl"
    assert shuffle_caption("sks a girl", "sks", random.Random(0)) == "sks, a girl"


def test_batches_are_a_pure_function_of_position(tmp_path):
    make_pattern_dataset(tmp_path, images=3, repeats=2)
    repeated = repeated_indices(scan_kohya_dataset(str(tmp_path)))
    first_epoch = [batch_indices(repeated, 42, p, 1)[0] for p in range(6)]
    assert sorted(first_epoch) == [0, 0, 1, 1, 2, 2]  # every repeat once per epoch
    assert batch_indices(repeated, 42, 4, 2) == first_epoch[4:6]
    assert [batch_indices(repeated, 42, p, 1)[0] for p in range(6)] == first_epoch


def test_without_buckets_a_warning_names_the_images_the_centre_crop_would_cut(tmp_path):
    from PIL import Image

    from toonlora_trainer.buckets import non_square_warning

    folder = tmp_path / "5_sks girl"
    folder.mkdir()
    for name, size in (("square.png", (64, 64)), ("nearly.png", (64, 66)), ("tall.png", (64, 128)), ("wide.jpg", (120, 64))):
        Image.new("RGB", size, "white").save(folder / name)
    (folder / "broken.png").write_bytes(b"not a png")  # left out by the scan, with its own warning
    dataset = scan_kohya_dataset(str(tmp_path))
    assert not any("not square" in w for w in dataset.warnings)  # the run warns, and only with buckets off
    (cut,) = non_square_warning(dataset.items)
    assert cut.startswith("2 of 4 images are not square (tall.png 64x128, wide.jpg 120x64)")
    assert "centre-crops" in cut and "aspectRatioBuckets" in cut
    assert non_square_warning(scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "square"))).items) == []


def test_buckets_are_kohyas_for_512():
    from toonlora_trainer.buckets import bucket_sizes

    buckets = bucket_sizes(512)
    assert len(buckets) == 17 and (512, 512) in buckets and (384, 640) in buckets and (640, 384) in buckets
    assert buckets[0] == (256, 1024) and buckets[-1] == (1024, 256)  # sorted by aspect ratio
    for width, height in buckets:
        assert width % 64 == 0 and height % 64 == 0 and width * height <= 512 * 512 and 256 <= min(width, height)
    assert bucket_sizes(64) == ((64, 64),)  # too small for any other


def test_each_image_gets_the_bucket_nearest_its_aspect_ratio(tmp_path):
    from PIL import Image

    from toonlora_trainer.buckets import assign_buckets, bucket_counts

    folder = tmp_path / "5_sks girl"
    folder.mkdir()
    for name, size in (("a.png", (512, 512)), ("b.png", (64, 66)), ("c.png", (300, 600)), ("d.png", (600, 350))):
        Image.new("RGB", size, "white").save(folder / name)
    dataset = assign_buckets(scan_kohya_dataset(str(tmp_path)), 512)
    assert [item.bucket for item in dataset.items] == [(512, 512), (512, 512), (320, 704), (640, 384)]
    assert bucket_counts(dataset, 512) == {(512, 512): 2, (320, 704): 1, (640, 384): 1}


def test_a_tall_image_loads_whole_at_its_bucket_and_a_square_one_as_before(tmp_path):
    import numpy as np
    from PIL import Image

    from toonlora_trainer.image_tensors import load_image_tensor

    tall = np.full((128, 64, 3), 255, dtype=np.uint8)
    tall[:16] = (255, 0, 0)  # a red head ...
    tall[-16:] = (0, 0, 255)  # ... and blue feet
    Image.fromarray(tall).save(tmp_path / "tall.png")
    whole = load_image_tensor(str(tmp_path / "tall.png"), 64, (64, 128))
    assert whole.shape == (3, 128, 64)
    assert whole[0, 0].mean() > 0.9 and whole[2, 0].mean() < -0.9  # the head is there
    assert whole[2, -1].mean() > 0.9 and whole[0, -1].mean() < -0.9  # and the feet
    square = load_image_tensor(str(tmp_path / "tall.png"), 64)  # no bucket: the centre square (head and feet cut)
    assert square.shape == (3, 64, 64) and square.min() > 0.9
    assert torch.equal(load_image_tensor(str(tmp_path / "tall.png"), 64, (64, 64)), square)


def test_a_batch_holds_one_bucket_and_the_order_is_a_pure_function_of_position():
    from collections import Counter

    from toonlora_trainer.batch_order import batch_indices

    buckets = ((512, 512), (512, 512), (512, 512), (320, 704), (320, 704))
    repeated = [0, 0, 1, 2, 3, 4]  # item 0 twice: 4 square entries and 2 tall ones, 3 batches of 2 an epoch
    batches = [tuple(batch_indices(repeated, 7, k * 2, 2, buckets)) for k in range(9)]
    assert all(len({buckets[i] for i in b}) == 1 for b in batches)
    epochs = [batches[0:3], batches[3:6], batches[6:9]]
    for epoch in epochs:  # every epoch trains each entry once
        assert Counter(i for b in epoch for i in b) == {0: 2, 1: 1, 2: 1, 3: 1, 4: 1}
    assert len({tuple(e) for e in epochs}) > 1  # epochs reshuffle
    assert batches == [tuple(batch_indices(repeated, 7, k * 2, 2, buckets)) for k in range(9)]  # pure: resumable
    one_bucket = ((512, 512),) * 5  # a single bucket keeps the plain stream (as before buckets)
    assert [batch_indices(repeated, 7, p, 2, one_bucket) for p in (0, 2, 4)] == [batch_indices(repeated, 7, p, 2) for p in (0, 2, 4)]


def test_a_buckets_last_partial_batch_is_filled_from_the_same_bucket():
    from toonlora_trainer.batch_order import bucketed_epoch

    buckets = ((512, 512), (512, 512), (512, 512), (320, 704))
    epoch = bucketed_epoch((0, 1, 2, 3), buckets, 3, 0, 2)
    assert len(epoch) == 3  # 3 square -> 2 batches (one filled up), 1 tall -> 1 batch (itself twice)
    assert (3, 3) in epoch
    assert {i for b in epoch for i in b} == {0, 1, 2, 3}


def test_a_folder_that_is_not_kohya_named_is_reported_not_silently_skipped(tmp_path):
    make_pattern_dataset(tmp_path, images=1, repeats=2)
    for folder in ("sks girl", "stages", ".cache"):  # a renamed folder; prep's review images; a hidden one
        (tmp_path / folder).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / folder / "x.png")
    warnings = scan_kohya_dataset(str(tmp_path)).warnings
    assert warnings == (f"{tmp_path / 'sks girl'}: 1 image(s) not trained: the folder name is not `<repeats>_<trigger> <class>` "
                        "(e.g. `10_sks girl`). Rename it to train them.",)


def test_a_sideways_phone_photo_trains_upright_and_transparency_trains_on_white(tmp_path):
    from toonlora_trainer.buckets import assign_buckets
    from toonlora_trainer.dataset_items import Dataset, DatasetItem
    from toonlora_trainer.image_tensors import load_image_tensor

    stored = Image.new("RGB", (60, 30), "black")  # stored wide, with EXIF "rotate 90": seen tall
    stored.paste((255, 0, 0), (0, 0, 30, 30))  # the left half red: the top half once turned upright (orientation 6)
    exif = stored.getexif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    item = DatasetItem(str(tmp_path / "phone.jpg"), "sks", "sks", 1)
    (bucketed,) = assign_buckets(Dataset((item,), ()), 512).items
    assert bucketed.bucket[0] < bucketed.bucket[1]  # a tall bucket
    pixels = load_image_tensor(item.image_path, 64, (32, 64))
    assert pixels.shape == (3, 64, 32)
    top, bottom = pixels[:, :32].mean(dim=(1, 2)), pixels[:, 32:].mean(dim=(1, 2))
    assert top[0] > 0.8 and bottom[0] < -0.8  # red on top, black below
    clear = Image.new("RGBA", (16, 16), (0, 0, 0, 0))  # fully transparent, black underneath
    clear.save(tmp_path / "clear.png")
    assert load_image_tensor(str(tmp_path / "clear.png"), 16).min() > 0.99  # white, as prep composites it


def test_a_dot_caption_file_is_read_and_a_txt_beside_it_wins_with_one_warning(tmp_path):
    folder = tmp_path / "3_sks girl"
    folder.mkdir()
    for name in ("a", "b", "c"):
        Image.new("RGB", (8, 8)).save(folder / f"{name}.png")
    (folder / "a.caption").write_text("sks, from the caption file", encoding="utf-8")  # kohya's --caption_extension default
    (folder / "b.txt").write_text("sks, from the txt", encoding="utf-8")
    (folder / "b.caption").write_text("sks, not read", encoding="utf-8")
    (folder / "c.txt").write_text("sks, c txt", encoding="utf-8")
    (folder / "c.caption").write_text("sks, not read either", encoding="utf-8")
    dataset = scan_kohya_dataset(str(tmp_path))
    assert [item.caption for item in dataset.items] == ["sks, from the caption file", "sks, from the txt", "sks, c txt"]
    assert dataset.warnings == (f"2 image(s) have both a .txt and a .caption caption file (e.g. {folder / 'b.caption'}): "
                                "the .txt is used, the .caption is ignored. Delete the one you do not want.",)


def test_a_caption_file_starting_with_a_bom_trains_the_trigger_once(tmp_path):
    folder = tmp_path / "1_sks girl"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(folder / "a.png")
    (folder / "a.txt").write_bytes("\ufeffsks, red eyes\r\n".encode("utf-8"))  # Notepad's UTF-8
    (item,) = scan_kohya_dataset(str(tmp_path)).items
    assert item.caption == "sks, red eyes"
    for seed in range(5):
        assert shuffle_caption(item.caption, "sks", random.Random(seed)) == "sks, red eyes"


def test_shuffle_keeps_the_class_word_of_a_first_tag_whose_trigger_has_another_case():
    for caption in ("SKS girl, smile", "Sks girl, smile", "sks girl, smile"):
        tags = shuffle_caption(caption, "sks", random.Random(1)).split(", ")
        assert tags[0] == "sks" and sorted(tags[1:]) == ["girl", "smile"], caption


def test_a_16_bit_greyscale_png_trains_as_its_grey_levels_not_white(tmp_path):
    from toonlora_trainer.image_tensors import load_image_tensor

    ramp = np.tile(np.linspace(0, 65535, 64).round().astype(np.uint16), (64, 1))  # black on the left, white on the right
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode == "I;16"
    pixels = load_image_tensor(str(tmp_path / "g16.png"), 64)
    expected = torch.from_numpy((ramp >> 8).astype(np.float32) / 127.5 - 1.0)
    assert pixels.shape == (3, 64, 64)
    assert torch.allclose(pixels[0], expected, atol=0.05) and torch.equal(pixels[0], pixels[2])
    assert abs(pixels.mean().item()) < 0.05  # a full ramp averages mid-grey (PIL's plain RGB conversion: 0.98, white)
    Image.fromarray(ramp.astype(np.int32)).save(tmp_path / "g32.tif")  # opens as mode "I"
    assert torch.allclose(load_image_tensor(str(tmp_path / "g32.tif"), 64)[0], expected, atol=0.05)


def test_every_concept_folder_has_its_trigger_and_a_default_sample_prompt(tmp_path):
    from toonlora_trainer.dataset_items import MAX_DEFAULT_SAMPLE_PROMPTS

    for folder in ("5_sks girl", "2_zzk boy", "3_sks girl"):
        (tmp_path / folder).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / folder / "a.png")
    dataset = scan_kohya_dataset(str(tmp_path))
    assert dataset.triggers == ("zzk", "sks")  # folder name order, each once
    assert dataset.sample_prompts == ("zzk boy", "sks girl")
    for n in range(6):
        (tmp_path / f"1_t{n} x").mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / f"1_t{n} x" / "a.png")
    assert len(scan_kohya_dataset(str(tmp_path)).sample_prompts) == MAX_DEFAULT_SAMPLE_PROMPTS


def test_images_in_a_subfolder_of_a_kohya_folder_are_named_in_a_warning_not_silently_skipped(tmp_path):
    make_pattern_dataset(tmp_path, images=1, repeats=5)
    nested = tmp_path / "5_sks pattern" / "nested" / "deeper"
    nested.mkdir(parents=True)
    (nested / "n.png").write_bytes((tmp_path / "5_sks pattern" / "img0.png").read_bytes())
    (tmp_path / "5_sks pattern" / "empty").mkdir()  # no images: nothing to say
    dataset = scan_kohya_dataset(str(tmp_path))
    assert len(dataset.items) == 1  # kohya does not recurse either
    nested_warnings = [w for w in dataset.warnings if "subfolder" in w]
    assert nested_warnings == [
        f"{tmp_path / '5_sks pattern' / 'nested'}: 1 image(s) in a subfolder not trained (nested/deeper/n.png): only the files "
        f"directly in 5_sks pattern are read. Move them up into {tmp_path / '5_sks pattern'} to train them."
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_caption_with_a_bom_is_read_not_replaced_by_the_folder_tokens(tmp_path, encoding):
    make_pattern_dataset(tmp_path, images=1, repeats=5)
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    (tmp_path / "5_sks pattern" / "img0.txt").write_bytes(bom + "sks, rosé stripes\r\n".encode(encoding))
    dataset = scan_kohya_dataset(str(tmp_path))
    assert dataset.items[0].caption == "sks, rosé stripes"
    assert not [w for w in dataset.warnings if "unreadable caption" in w]


def test_every_format_prep_takes_that_pillow_reads_is_trained_and_the_others_are_named(tmp_path, monkeypatch):
    from toonlora_trainer import data
    from toonlora_trainer.image_tensors import load_image_tensor

    folder = tmp_path / "2_sks girl"
    folder.mkdir()
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    image.save(folder / "a.png")
    image.save(folder / "b.tiff")
    image.save(folder / "c.gif")
    image.save(folder / "d.jpe", format="JPEG")
    image.save(folder / "e.jfif", format="JPEG")
    image.save(folder / "f.tif")
    dataset = scan_kohya_dataset(str(tmp_path))
    assert sorted(p.split("/")[-1] for p in (i.image_path for i in dataset.items)) == [
        "a.png", "b.tiff", "c.gif", "d.jpe", "e.jfif", "f.tif"]
    assert dataset.warnings == ()
    gif = load_image_tensor(str(folder / "c.gif"), 64)
    assert gif.shape == (3, 64, 64) and gif[0].mean() > 0.5  # the palette image trains as its red, not its indices
    # a format prep walks but this Pillow cannot open (HEIC without pillow-heif): named, not silently dropped
    (folder / "g.heic").write_bytes(b"\0" * 16)
    monkeypatch.setattr(data, "UNREADABLE_SUFFIXES", (".heic",))
    (warning,) = scan_kohya_dataset(str(tmp_path)).warnings
    assert warning.startswith(f"{folder}: 1 image(s) not trained (g.heic): the trainer's image library (Pillow) cannot "
                              "read .heic here. Convert them to PNG")


def test_a_dataset_with_no_usable_folder_says_why_each_folder_was_left_out(tmp_path):
    (tmp_path / "0_x").mkdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "0_x" / "a.png")
    (tmp_path / "sks_girl girl").mkdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "sks_girl girl" / "b.png")
    with pytest.raises(DatasetError) as raised:
        scan_kohya_dataset(str(tmp_path))
    message = str(raised.value)
    assert "no images found" in message and raised.value.missing
    assert f"{tmp_path / '0_x'}: repeats is 0, folder skipped" in message
    assert f"{tmp_path / 'sks_girl girl'}: 1 image(s) not trained: the folder name is not" in message


def test_shuffle_trains_the_trigger_once_when_a_later_tag_holds_it_as_a_word():
    """`red eyes, sks girl`: the later tag keeps its class word, and `sks` is trained once, first (not twice)."""
    for seed in range(10):
        for caption, rest in (("red eyes, sks girl", ["girl", "red eyes"]), ("smile, Smiling SKS, 1girl", ["1girl", "Smiling", "smile"]),
                              ("sks girl, red eyes, sks", ["girl", "red eyes"])):
            tags = shuffle_caption(caption, "sks", random.Random(seed)).split(", ")
            assert tags[0] == "sks" and sorted(tags[1:]) == rest, caption
            assert " ".join(tags).lower().split().count("sks") == 1, caption


def test_shuffle_leaves_a_tag_holding_the_trigger_inside_another_word():
    tags = shuffle_caption("sks, sks_girl, (sks), sksx", "sks", random.Random(0)).split(", ")
    assert tags[0] == "sks" and sorted(tags[1:]) == ["(sks)", "sks_girl", "sksx"]
