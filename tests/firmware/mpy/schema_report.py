# The message table's schema text and hash as MicroPython computes them. Prints one RESULT
# line: {"rev": SCHEMA_REV, "hash": SCHEMA_HASH, "text": schema_text(), "crc32": ...}.

import binascii
import json

from fw_scenario import RESULT_MARK

from vitrine_fw import wire

text = wire.schema_text()
print(
    RESULT_MARK
    + json.dumps(
        {
            "rev": wire.SCHEMA_REV,
            "hash": wire.SCHEMA_HASH,
            "text": text,
            "crc32": binascii.crc32(text.encode()) & 0xFFFFFFFF,
        }
    )
)
