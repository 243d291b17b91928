"""A run as a FiftyOne dataset directory (the "legacy FiftyOne dataset" layout: samples.json, metadata.json,
data/), one sample per turn with the article's fields and the rounds of guessing kept beside the run in the
dataset's info, importable with
``fo.Dataset.from_dir(DIR, dataset_type=fo.types.LegacyFiftyOneDataset)``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.errors import StorageError
from engine.imagefiles import read_image
from engine.store import Run, load_rounds
from engine.untrusted import inside, write_atomically

FIELDS = {
    "conversation_name": "fiftyone.core.fields.StringField",
    "prompt": "fiftyone.core.fields.StringField",
    "level": "fiftyone.core.fields.StringField",
    "t2i_model": "fiftyone.core.fields.StringField",
    "i2t_model": "fiftyone.core.fields.StringField",
    "step_number": "fiftyone.core.fields.IntField",
    "text_before": "fiftyone.core.fields.StringField",
    "text_after": "fiftyone.core.fields.StringField",
    "text_after_dist": "fiftyone.core.fields.FloatField",
    "text_after_prev_dist": "fiftyone.core.fields.FloatField",
    "image_prompt_dist": "fiftyone.core.fields.FloatField",
    "image_prev_dist": "fiftyone.core.fields.FloatField",
}


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the number of samples, and one line per turn it had to leave out."""

    samples: int
    skipped: list[str]


def export_fiftyone(run: Run, folder: Path) -> Exported:
    """Write the dataset directory: every turn with a caption and a readable image becomes a sample."""
    data = inside(folder, "data", str(folder))
    data.mkdir(parents=True, exist_ok=True)
    samples, skipped = [], []
    for conversation in run.conversations:
        info = conversation.info
        for turn in conversation.shown_turns:  # a start picture is turn 0: step_number -1, tagged start-picture
            image = conversation.image_path(turn)
            if image is None or turn.caption is None:
                continue
            name = f"{info.id}_{turn.step:02d}{image.suffix}"
            try:  # a new file of the image's bytes, read as every run file is: never a copy of another file
                write_atomically(inside(data, name, str(data)), read_image(image).data)
            except StorageError as error:  # deleted, a folder, a pipe, a hard link: reported, the others go on
                skipped.append(str(error))
                continue
            samples.append(
                {
                    "filepath": f"data/{name}",
                    "tags": [info.level] + (["start-picture"] if turn.step == 0 else []),
                    "conversation_name": info.id,
                    "prompt": info.prompt,
                    "level": info.level,
                    "t2i_model": turn.t2i,  # the model that played this turn (a lineup takes turns)
                    "i2t_model": turn.i2t,
                    "step_number": turn.step - 1,
                    "text_before": turn.text,
                    "text_after": turn.caption,
                    "text_after_dist": turn.distance_to_prompt,
                    "text_after_prev_dist": turn.distance_to_previous,
                    "image_prompt_dist": turn.image_to_prompt,
                    "image_prev_dist": turn.image_to_previous_image,
                }
            )
    rounds, unread = load_rounds(run.folder)
    skipped += unread
    metadata = {
        "name": f"aitelephone-{run.folder.name}",
        "media_type": "image",
        "sample_fields": {"filepath": "fiftyone.core.fields.StringField", **FIELDS},
        # The rooms' rounds of guessing the prompts (`aitelephone-tui --guess`): the dataset's info.
        "info": {"guess_rounds": [played.to_json() for played in rounds]},
    }
    write_atomically(inside(folder, "metadata.json", str(folder)), json.dumps(metadata, indent=2).encode())
    write_atomically(inside(folder, "samples.json", str(folder)), json.dumps({"samples": samples}, indent=1).encode())
    return Exported(len(samples), skipped)
