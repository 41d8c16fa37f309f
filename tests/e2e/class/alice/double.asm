; SIBLING-MARKER-7c0f: alice's routine
double:	add ax, ax
	ret
