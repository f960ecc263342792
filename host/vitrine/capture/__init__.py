"""Raw touch-frame captures: the documented format (docs/touch.md), and replaying one through
the firmware's touch pipeline (`vitrine touch replay`)."""
