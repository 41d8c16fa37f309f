#!/bin/sh
# embed.sh IN.bin OUT.c: writes the firmware image IN.bin as a C array
# (firmware_image, firmware_image_len), so kvmcheck carries its firmware
# inside the binary. Only POSIX od and sed: nothing beyond the build's tools.
set -eu
in=$1 out=$2
{
	echo '/* Generated from guests/firmware/firmware.asm by guests/firmware/embed.sh. */'
	echo '#include <stddef.h>'
	echo '#include <stdint.h>'
	echo 'const uint8_t firmware_image[] = {'
	od -An -v -tx1 "$in" | sed -e 's/ *$//' -e 's/^ */\t0x/' -e 's/  */, 0x/g' -e 's/$/,/'
	echo '};'
	echo 'const size_t firmware_image_len = sizeof(firmware_image);'
} >"$out.tmp"
mv "$out.tmp" "$out"
