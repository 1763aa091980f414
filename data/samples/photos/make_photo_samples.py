#!/usr/bin/python3
"""Writes the bundled photo samples: GT crops of two CC0 photographs shipped in Debian's python3-skimage data folder
and their x4 bicubic-downscaled LR versions (Pillow's BICUBIC, antialiased). Neither photo was used to train the
bundled model (data/default-model/MODEL_CARD.md).

    apt-get install python3-skimage python3-pil && /usr/bin/python3 data/samples/photos/make_photo_samples.py
"""
import os
from PIL import Image

SRC = "/usr/lib/python3/dist-packages/skimage/data"
# name -> (file, crop box left, top, right, bottom): multiples of 4 so LR x 4 == GT exactly.
CROPS = {
    "chelsea": ("chelsea.png", (32, 20, 416, 276)),   # 384 x 256 -> LR 96 x 64
    "coffee": ("coffee.png", (44, 8, 556, 392)),      # 512 x 384 -> LR 128 x 96
}

here = os.path.dirname(os.path.abspath(__file__))
for sub in ("gt", "lr"):
    os.makedirs(os.path.join(here, sub), exist_ok=True)
for name, (file, box) in CROPS.items():
    gt = Image.open(os.path.join(SRC, file)).convert("RGB").crop(box)
    lr = gt.resize((gt.width // 4, gt.height // 4), Image.BICUBIC)
    gt.save(os.path.join(here, "gt", name + ".png"), optimize=True)
    lr.save(os.path.join(here, "lr", name + ".png"), optimize=True)
    print(name, gt.size, lr.size)
