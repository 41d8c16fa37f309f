; includes itself, forever
%include "self_include.asm"
hlt
