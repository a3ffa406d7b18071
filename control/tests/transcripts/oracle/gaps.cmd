# ipvsadm 1.31 on Linux 6.12: the cases issue 13 part 7 lists as gaps, asked of the real thing.
# Run: ../shared/ipvs-oracle/run.sh control/tests/transcripts/oracle/gaps.cmd > gaps.out
# -E without -s: what ipvsadm sends (wlc, no persistence, no flags) and what it keeps (dests).
ipvsadm -A -t 10.0.0.1:80 -s sh -b sh-fallback -p 120 -M 255.255.255.0
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -m -w 5
ipvsadm -E -t 10.0.0.1:80 -p
ipvsadm -Ln
ipvsadm -E -t 10.0.0.1:80 -M 255.255.0.0
ipvsadm -Ln
ipvsadm -E -t 10.0.0.1:80
ipvsadm -Ln
ipvsadm -S -n
ipvsadm -E -t 10.0.0.1:80 -b sh-port
ipvsadm -E -t 10.0.0.1:80 -s mh -b mh-port
ipvsadm -Ln
ipvsadm -E -f 9
ipvsadm -A -u 10.0.0.1:53 -s rr -o
ipvsadm -E -u 10.0.0.1:53
ipvsadm -Ln
ipvsadm -C
# --tun-info listings: single service, IPv6 real servers, fwmark, without -n, with --stats.
ipvsadm -A -t 10.0.0.1:80
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1 -i --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -i --tun-type gue --tun-port 6081 --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3 -i --tun-type gre --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r [2001:db8::7] -i --tun-type gre
ipvsadm -a -t 10.0.0.1:80 -r 127.0.0.1 -g
ipvsadm -A -t [2001:db8::80]:443 -s rr
ipvsadm -a -t [2001:db8::80]:443 -r [2001:db8:aaaa:bbbb:cccc:dddd:ffff:2]:8443 -i --tun-type gue --tun-port 65535 --tun-remcsum
ipvsadm -a -t [2001:db8::80]:443 -r [2001:db8::a] -m
ipvsadm -A -f 7 -s rr
ipvsadm -a -f 7 -r 10.0.2.1 -i
ipvsadm -Ln --tun-info
ipvsadm -L --tun-info
ipvsadm -Ln --tun-info -t 10.0.0.1:80
ipvsadm -Ln --tun-info -f 7
ipvsadm -Ln --tun-info --stats
ipvsadm -Ln --tun-info --thresholds
ipvsadm -Ln --tun-info --persistent-conn
ipvsadm -Ln --tun-info --rate
ipvsadm -Ln --tun-info --nosort
ipvsadm -S -n
ipvsadm -C
# IPv6 and fwmark services with persistence (-p, -M mask / prefix).
ipvsadm -A -t [2001:db8::1]:80 -p -M 64
ipvsadm -A -t [2001:db8::1]:0 -s rr -p 60
ipvsadm -A -u [2001:db8::1]:53 -p 30 -M 128
ipvsadm -A -t [2001:db8::2]:80 -p 10 -M 96
ipvsadm -A -f 3 -6 -p
ipvsadm -A -f 4 -p 60 -M 255.255.0.0
ipvsadm -A -f 5 -s rr -M 255.255.255.0
ipvsadm -A -f 6 -6 -s rr -M 48
ipvsadm -A -t 10.0.0.1:80 -M 255.0.0.0
ipvsadm -A -t 10.0.0.2:80 -p 20 -M 255.255.255.255
ipvsadm -A -t [2001:db8::3]:80 -M 64
ipvsadm -Ln
ipvsadm -L
ipvsadm -S -n
ipvsadm -Ln -f 3 -6
ipvsadm -Ln -t [2001:db8::1]:80
ipvsadm -Ln --thresholds
ipvsadm -Ln --persistent-conn -f 4
ipvsadm -C
# --pe: listed only when persistent, always saved; on TCP, fwmark and IPv6; -E drops it.
ipvsadm -A -u 10.0.0.1:5060 -p --pe sip
ipvsadm -A -u 10.0.0.2:5060 --pe sip
ipvsadm -A -t 10.0.0.3:5060 -p 60 --pe sip
ipvsadm -A -f 8 -p --pe sip
ipvsadm -A -u [2001:db8::5]:5060 -s rr -p 90 -M 64 --pe sip
ipvsadm -A -u 10.0.0.4:5060 -p --pe nosuch
ipvsadm -A -u 10.0.0.4:5060 -p --pe SIP
ipvsadm -A -u 10.0.0.4:5060 -p --pe ''
ipvsadm -Ln
ipvsadm -L
ipvsadm -S -n
ipvsadm -S
ipvsadm -Ln -u 10.0.0.2:5060
ipvsadm -E -u 10.0.0.1:5060 -p
ipvsadm -E -u 10.0.0.2:5060 -s rr --pe sip -p 10
ipvsadm -Ln
ipvsadm -S -n
ipvsadm -C
# A list command and comments inside -R input (ipvsadm applies line by line).
printf -- '-A -t 10.0.0.1:80 -s rr\n-L -n\n-a -t 10.0.0.1:80 -r 10.0.1.1 -m\n-S -n\n-Lnt 10.0.0.1:80\n-L --timeout\n-L -c -n\n-Z\n' | ipvsadm -R
printf -- '-L -n --stats\n' | ipvsadm -R
printf -- '-L -n -t 10.0.0.9:80\n-A -t 10.0.0.9:80\n' | ipvsadm -R
ipvsadm -S -n
printf -- '-A -t 10.0.0.10:80\n  # indented comment\n-A -t 10.0.0.11:80\n' | ipvsadm -R
printf -- '#\n' | ipvsadm -R
printf -- '-A -t 10.0.0.12:80\n-h\n-A -t 10.0.0.13:80\n' | ipvsadm -R | head -3
printf -- '-A -t 10.0.0.14:80\n-v\n-A -t 10.0.0.15:80\n' | ipvsadm -R
printf -- '-A -t 10.0.0.16:80\n#comment\n' | ipvsadm -R
ipvsadm -S -n
