#!/usr/bin/perl
# Writes two tiny MaxMind DB files for the geoip tests, over the documentation ranges only
# (RFC 5737, RFC 3849) and the documentation AS numbers (RFC 5398):
#   OUTDIR/test-asn.mmdb    GeoLite2-ASN style: autonomous_system_number/_organization
#   OUTDIR/test-city.mmdb   GeoLite2-City style: country.iso_code, city.names.en, location
# With --variant 2 the ASN database maps 192.0.2.0/24 to another AS, so a test can replace
# the file and see the new data. Needs MaxMind::DB::Writer (Debian libmaxmind-db-writer-perl).
# Usage: make-test-mmdb.pl OUTDIR [--variant 2]
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my ($outdir, $variant) = (undef, 1);
while (@ARGV) {
    my $a = shift @ARGV;
    if ($a eq '--variant') {
        $variant = shift @ARGV;
        die "make-test-mmdb.pl: --variant takes 1 or 2\n"
            unless defined $variant && $variant =~ /^[12]$/;
    } elsif (!defined $outdir) {
        $outdir = $a;
    } else {
        die "usage: make-test-mmdb.pl OUTDIR [--variant 2]\n";
    }
}
die "usage: make-test-mmdb.pl OUTDIR [--variant 2]\n" unless defined $outdir;
die "make-test-mmdb.pl: $outdir is not a directory\n" unless -d $outdir;

my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    country                        => 'map',
    iso_code                       => 'utf8_string',
    city                           => 'map',
    names                          => 'map',
    en                             => 'utf8_string',
    location                       => 'map',
    latitude                       => 'double',
    longitude                      => 'double',
);

sub tree {
    my ($type, $what) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version    => 6,
        record_size   => 24,
        database_type => $type,
        languages     => ['en'],
        description   => { en => "ermes test $what database (documentation ranges)" },
        # The documentation ranges are reserved: keep them, they are all this file holds.
        remove_reserved_networks => 0,
        map_key_type_callback    => sub { $types{ $_[0] } or die "no type for $_[0]\n" },
    );
}

# Writes to a temporary name and renames, so a reader never sees half a file.
sub write_tree {
    my ($tree, $name) = @_;
    my $tmp = "$outdir/.$name.tmp";
    open my $fh, '>:raw', $tmp or die "make-test-mmdb.pl: $tmp: $!\n";
    $tree->write_tree($fh);
    close $fh or die "make-test-mmdb.pl: $tmp: $!\n";
    rename $tmp, "$outdir/$name" or die "make-test-mmdb.pl: $outdir/$name: $!\n";
}

my $asn = tree('GeoLite2-ASN', 'ASN');
my @as = (
    [ '192.0.2.0/24',    64496, 'Example Net One' ],
    [ '198.51.100.0/25', 64497, 'Example Net Two' ],
    [ '203.0.113.0/24',  64498, 'Example Net Three' ],
    [ '2001:db8::/32',   64499, 'Example Net Six' ],
);
$as[0] = [ '192.0.2.0/24', 64510, 'Replacement Net' ] if $variant == 2;
for my $r (@as) {
    $asn->insert_network($r->[0],
        { autonomous_system_number => $r->[1], autonomous_system_organization => $r->[2] });
}
write_tree($asn, 'test-asn.mmdb');

my $city = tree('GeoLite2-City', 'City');
my @geo = (
    [ '192.0.2.0/24',    'NL', 'Amsterdam', 52.374, 4.8897 ],
    [ '198.51.100.0/24', 'DE' ],    # country only, as in a Country database
    [ '203.0.113.0/24',  'JP', 'Tokyo', 35.6895, 139.6917 ],
    [ '2001:db8::/32',   'FR', 'Paris', 48.8566, 2.3522 ],
);
for my $r (@geo) {
    my %d = (country => { iso_code => $r->[1] });
    if (defined $r->[2]) {
        $d{city}     = { names    => { en => $r->[2] } };
        $d{location} = { latitude => $r->[3], longitude => $r->[4] };
    }
    $city->insert_network($r->[0], \%d);
}
write_tree($city, 'test-city.mmdb');
