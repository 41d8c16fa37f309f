bits 16
	hlt
