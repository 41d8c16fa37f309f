#!/usr/bin/perl
# Generates nasm sources that touch files, for the oracle property test:
# every file-touching directive (incbin, %include, %depend, %pathsearch,
# %use, %!, %strcat-built paths, size arithmetic on incbin) on paths inside
# the case folder and outside it (a planted secret, by absolute and by
# relative path, its folder, missing files). run.sh runs them once with the
# secret there and once without: no report may differ by a byte.
#
# usage: oracle_gen.pl SECRET_ABS SECRET_REL SEED COUNT > cases.yaml
use strict;
use warnings;

my ($abs, $rel, $seed, $count) = @ARGV;
die "usage: oracle_gen.pl SECRET_ABS SECRET_REL SEED COUNT\n" unless defined $count;
srand($seed);
our $label = 0;
(my $dir = $abs) =~ s{/[^/]*$}{};
(my $name = $abs) =~ s{^.*/}{};

my @paths = ($abs, $rel, "$dir/", "$dir/missing.inc", 'inside.inc', 'missing.inc', "./$rel",
	     "/proc/self/root$abs", "$dir/../" . (split m{/}, $dir)[-1] . "/$name");
sub pick { $_[int(rand(@_))] }

my @directives = (
	sub { "incbin \"$_[0]\"\n" },
	sub { "incbin \"$_[0]\", 1, 3\n" },
	sub { "%include \"$_[0]\"\n" },
	sub { "%depend \"$_[0]\"\n" },
	sub { "%pathsearch P \"$_[0]\"\ndb P\n" },
	sub { my ($d, $f) = $_[0] =~ m{^(.*)/([^/]*)$} ? ($1, $2) : ('.', $_[0]);
	      "%strcat P \"$d\", \"/\", \"$f\"\nincbin P\n" },
	sub { "%defstr D $_[0]\n%include D\n" },
	sub { "%use altreg\nincbin \"$_[0]\"\n" },
	sub { "db %!KVMCHECK_TEST_SECRET\nincbin \"$_[0]\"\n" },
	sub { my $k = int(rand(6)); my $l = ++$::label;
	      "s$l: incbin \"$_[0]\"\ne$l:\n" . join('', map { "db 1/(((e$l-s$l)>>$_)&1)\n" } 0 .. $k) },
	sub { "%if 0\nincbin \"$_[0]\"\n%endif\n%ifdef __?FILE?__\nincbin \"$_[0]\"\n%endif\n" },
);

for my $i (1 .. $count) {
	my $lines = join '', map { pick(@directives)->(pick(@paths)) } 1 .. 1 + int(rand(3));
	$lines =~ s/^/  /mg;
	# The guest prints everything the directives put into its image.
	print "---\nname: generated file-touching source $i\nsource: |\n  mov dx, 0x3f8\n  mov si, data\n",
	      "  mov cx, end - data\n  rep outsb\n  hlt\n  data:\n$lines  end:\n";
}
