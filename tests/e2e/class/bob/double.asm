; bob: doubles ax
double:	shl ax, 1
	ret
