# The wire protocol over Bluetooth LE: the GATT service a board without a cable (a ceiling
# lights board) offers, shared by the host (vitrine.link.gatt) and the board's firmware.
#
# One service, two characteristics:
#   RX  (host -> board): write with response; the host writes the same COBS-framed bytes it
#       would send down a cable, cut into pieces that fit one ATT write (MTU - 3 bytes).
#   TX  (board -> host): notify; the board sends its frames the same way.
# The pieces are a byte stream, nothing more: COBS's zero delimiter finds the frames again,
# wherever a piece ends, exactly as on a UART that delivers bytes in arbitrary reads. Both
# characteristics require an encrypted, authenticated (bonded, LE Secure Connections) link:
# the board's GATT server declares them so, and the host pairs before it connects.
#
# UUIDs: a random 128-bit base (uuid4) for this project, the characteristics numbered in it.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


SERVICE_UUID = "5f8d0001-3c2a-4e7b-9b6d-8e2f1a7c4d10"
RX_UUID = "5f8d0002-3c2a-4e7b-9b6d-8e2f1a7c4d10"  # host writes
TX_UUID = "5f8d0003-3c2a-4e7b-9b6d-8e2f1a7c4d10"  # board notifies
ATT_HEADER = const(3)  # an ATT write or notification: opcode (1) and handle (2)
MIN_MTU = const(23)  # the ATT MTU every LE link starts with (Core 5.4 Vol 3 Part F §3.2.8)
MAX_MTU = const(517)  # the largest ATT MTU (an attribute value is at most 512 bytes)


def piece_size(mtu):
    """Bytes of the stream one write or notification carries at this ATT MTU."""
    if mtu < MIN_MTU or mtu > MAX_MTU:
        raise ValueError("ATT MTU %d: allowed %d..%d" % (mtu, MIN_MTU, MAX_MTU))
    return mtu - ATT_HEADER


def pieces(data, mtu):
    """data cut into the pieces writes or notifications carry at this MTU, in order."""
    n = piece_size(mtu)
    return [data[i : i + n] for i in range(0, len(data), n)]
