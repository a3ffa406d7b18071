# ipvsadm 1.31 on Linux 6.12: every option with every command (ipvsadm-spec §4.3 matrix, §5.7 tunnel matrix).
# Each line runs in order on the state the earlier ones left; rvs replays the same lines (matrix.txt).
ipvsadm -A -t 10.0.0.1:80
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m
ipvsadm -A -t 10.0.0.1:80 -n
ipvsadm -A -t 10.0.0.1:80 -c
ipvsadm -A -t 10.0.0.1:80
ipvsadm -A -t 10.0.0.1:80 -s rr
ipvsadm -A -t 10.0.0.1:80 -p 60
ipvsadm -A -t 10.0.0.1:80 -M 255.255.255.0
ipvsadm -A -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -A -t 10.0.0.1:80 -m
ipvsadm -A -t 10.0.0.1:80 -w 1
ipvsadm -A -t 10.0.0.1:80 -x 10
ipvsadm -A -t 10.0.0.1:80 -y 5
ipvsadm -A -t 10.0.0.1:80 --mcast-interface lo
ipvsadm -A -t 10.0.0.1:80 --timeout
ipvsadm -A -t 10.0.0.1:80 --daemon
ipvsadm -A -t 10.0.0.1:80 --stats
ipvsadm -A -t 10.0.0.1:80 --rate
ipvsadm -A -t 10.0.0.1:80 --thresholds
ipvsadm -A -t 10.0.0.1:80 --persistent-conn
ipvsadm -A -t 10.0.0.1:80 --nosort
ipvsadm -A -t 10.0.0.1:80 --sort
ipvsadm -A -t 10.0.0.1:80 --syncid 1
ipvsadm -A -t 10.0.0.1:80 --exact
ipvsadm -A -t 10.0.0.1:80 -o
ipvsadm -A -t 10.0.0.1:80 --pe nosuch
ipvsadm -A -t 10.0.0.1:80 -b sh-port
ipvsadm -A -t 10.0.0.1:80 --mcast-group 224.0.0.82
ipvsadm -A -t 10.0.0.1:80 --mcast-port 8849
ipvsadm -A -t 10.0.0.1:80 --mcast-ttl 2
ipvsadm -A -t 10.0.0.1:80 --sync-maxlen 1400
ipvsadm -A -t 10.0.0.1:80 --tun-type gue
ipvsadm -A -t 10.0.0.1:80 --tun-port 6080
ipvsadm -A -t 10.0.0.1:80 --tun-nocsum
ipvsadm -A -t 10.0.0.1:80 --tun-csum
ipvsadm -A -t 10.0.0.1:80 --tun-remcsum
ipvsadm -A -t 10.0.0.1:80 -6
ipvsadm -A
ipvsadm -E -t 10.0.0.1:80 -n
ipvsadm -E -t 10.0.0.1:80 -c
ipvsadm -E -t 10.0.0.1:80
ipvsadm -E -t 10.0.0.1:80 -s rr
ipvsadm -E -t 10.0.0.1:80 -p 60
ipvsadm -E -t 10.0.0.1:80 -M 255.255.255.0
ipvsadm -E -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -E -t 10.0.0.1:80 -m
ipvsadm -E -t 10.0.0.1:80 -w 1
ipvsadm -E -t 10.0.0.1:80 -x 10
ipvsadm -E -t 10.0.0.1:80 -y 5
ipvsadm -E -t 10.0.0.1:80 --mcast-interface lo
ipvsadm -E -t 10.0.0.1:80 --timeout
ipvsadm -E -t 10.0.0.1:80 --daemon
ipvsadm -E -t 10.0.0.1:80 --stats
ipvsadm -E -t 10.0.0.1:80 --rate
ipvsadm -E -t 10.0.0.1:80 --thresholds
ipvsadm -E -t 10.0.0.1:80 --persistent-conn
ipvsadm -E -t 10.0.0.1:80 --nosort
ipvsadm -E -t 10.0.0.1:80 --sort
ipvsadm -E -t 10.0.0.1:80 --syncid 1
ipvsadm -E -t 10.0.0.1:80 --exact
ipvsadm -E -t 10.0.0.1:80 -o
ipvsadm -E -t 10.0.0.1:80 --pe nosuch
ipvsadm -E -t 10.0.0.1:80 -b sh-port
ipvsadm -E -t 10.0.0.1:80 --mcast-group 224.0.0.82
ipvsadm -E -t 10.0.0.1:80 --mcast-port 8849
ipvsadm -E -t 10.0.0.1:80 --mcast-ttl 2
ipvsadm -E -t 10.0.0.1:80 --sync-maxlen 1400
ipvsadm -E -t 10.0.0.1:80 --tun-type gue
ipvsadm -E -t 10.0.0.1:80 --tun-port 6080
ipvsadm -E -t 10.0.0.1:80 --tun-nocsum
ipvsadm -E -t 10.0.0.1:80 --tun-csum
ipvsadm -E -t 10.0.0.1:80 --tun-remcsum
ipvsadm -E -t 10.0.0.1:80 -6
ipvsadm -E
ipvsadm -D -t 10.0.0.1:80 -n
ipvsadm -D -t 10.0.0.1:80 -c
ipvsadm -D -t 10.0.0.1:80
ipvsadm -D -t 10.0.0.1:80 -s rr
ipvsadm -D -t 10.0.0.1:80 -p 60
ipvsadm -D -t 10.0.0.1:80 -M 255.255.255.0
ipvsadm -D -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -D -t 10.0.0.1:80 -m
ipvsadm -D -t 10.0.0.1:80 -w 1
ipvsadm -D -t 10.0.0.1:80 -x 10
ipvsadm -D -t 10.0.0.1:80 -y 5
ipvsadm -D -t 10.0.0.1:80 --mcast-interface lo
ipvsadm -D -t 10.0.0.1:80 --timeout
ipvsadm -D -t 10.0.0.1:80 --daemon
ipvsadm -D -t 10.0.0.1:80 --stats
ipvsadm -D -t 10.0.0.1:80 --rate
ipvsadm -D -t 10.0.0.1:80 --thresholds
ipvsadm -D -t 10.0.0.1:80 --persistent-conn
ipvsadm -D -t 10.0.0.1:80 --nosort
ipvsadm -D -t 10.0.0.1:80 --sort
ipvsadm -D -t 10.0.0.1:80 --syncid 1
ipvsadm -D -t 10.0.0.1:80 --exact
ipvsadm -D -t 10.0.0.1:80 -o
ipvsadm -D -t 10.0.0.1:80 --pe nosuch
ipvsadm -D -t 10.0.0.1:80 -b sh-port
ipvsadm -D -t 10.0.0.1:80 --mcast-group 224.0.0.82
ipvsadm -D -t 10.0.0.1:80 --mcast-port 8849
ipvsadm -D -t 10.0.0.1:80 --mcast-ttl 2
ipvsadm -D -t 10.0.0.1:80 --sync-maxlen 1400
ipvsadm -D -t 10.0.0.1:80 --tun-type gue
ipvsadm -D -t 10.0.0.1:80 --tun-port 6080
ipvsadm -D -t 10.0.0.1:80 --tun-nocsum
ipvsadm -D -t 10.0.0.1:80 --tun-csum
ipvsadm -D -t 10.0.0.1:80 --tun-remcsum
ipvsadm -D -t 10.0.0.1:80 -6
ipvsadm -D
ipvsadm -C -n
ipvsadm -C -c
ipvsadm -C -t 10.0.0.1:80
ipvsadm -C -s rr
ipvsadm -C -p 60
ipvsadm -C -M 255.255.255.0
ipvsadm -C -r 10.0.1.1:80
ipvsadm -C -m
ipvsadm -C -w 1
ipvsadm -C -x 10
ipvsadm -C -y 5
ipvsadm -C --mcast-interface lo
ipvsadm -C --timeout
ipvsadm -C --daemon
ipvsadm -C --stats
ipvsadm -C --rate
ipvsadm -C --thresholds
ipvsadm -C --persistent-conn
ipvsadm -C --nosort
ipvsadm -C --sort
ipvsadm -C --syncid 1
ipvsadm -C --exact
ipvsadm -C -o
ipvsadm -C --pe nosuch
ipvsadm -C -b sh-port
ipvsadm -C --mcast-group 224.0.0.82
ipvsadm -C --mcast-port 8849
ipvsadm -C --mcast-ttl 2
ipvsadm -C --sync-maxlen 1400
ipvsadm -C --tun-type gue
ipvsadm -C --tun-port 6080
ipvsadm -C --tun-nocsum
ipvsadm -C --tun-csum
ipvsadm -C --tun-remcsum
ipvsadm -C -6
ipvsadm -L -n
ipvsadm -L -c
ipvsadm -L -t 10.0.0.1:80
ipvsadm -L -s rr
ipvsadm -L -p 60
ipvsadm -L -M 255.255.255.0
ipvsadm -L -r 10.0.1.1:80
ipvsadm -L -m
ipvsadm -L -w 1
ipvsadm -L -x 10
ipvsadm -L -y 5
ipvsadm -L --mcast-interface lo
ipvsadm -L --timeout
ipvsadm -L --daemon
ipvsadm -L --stats
ipvsadm -L --rate
ipvsadm -L --thresholds
ipvsadm -L --persistent-conn
ipvsadm -L --nosort
ipvsadm -L --sort
ipvsadm -L --syncid 1
ipvsadm -L --exact
ipvsadm -L -o
ipvsadm -L --pe nosuch
ipvsadm -L -b sh-port
ipvsadm -L --mcast-group 224.0.0.82
ipvsadm -L --mcast-port 8849
ipvsadm -L --mcast-ttl 2
ipvsadm -L --sync-maxlen 1400
ipvsadm -L --tun-type gue
ipvsadm -L --tun-port 6080
ipvsadm -L --tun-nocsum
ipvsadm -L --tun-csum
ipvsadm -L --tun-remcsum
ipvsadm -L -6
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -n
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -c
ipvsadm -a -r 10.0.1.1:80 -t 10.0.0.1:80
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -s rr
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -p 60
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -M 255.255.255.0
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -w 1
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -x 10
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -y 5
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-interface lo
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --timeout
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --daemon
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --stats
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --rate
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --thresholds
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --persistent-conn
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --nosort
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --sort
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --syncid 1
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --exact
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -o
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --pe nosuch
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -b sh-port
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-group 224.0.0.82
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-port 8849
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-ttl 2
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --sync-maxlen 1400
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-type gue
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-port 6080
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -6
ipvsadm -a
ipvsadm -a -r 10.0.1.1:80
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -n
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -c
ipvsadm -e -r 10.0.1.1:80 -t 10.0.0.1:80
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -s rr
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -p 60
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -M 255.255.255.0
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -m
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -w 1
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -x 10
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -y 5
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-interface lo
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --timeout
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --daemon
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --stats
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --rate
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --thresholds
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --persistent-conn
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --nosort
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --sort
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --syncid 1
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --exact
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -o
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --pe nosuch
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -b sh-port
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-group 224.0.0.82
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-port 8849
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-ttl 2
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --sync-maxlen 1400
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-type gue
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-port 6080
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-nocsum
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-csum
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-remcsum
ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.1:80 -6
ipvsadm -e
ipvsadm -e -r 10.0.1.1:80
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -n
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -c
ipvsadm -d -r 10.0.1.1:80 -t 10.0.0.1:80
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -s rr
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -p 60
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -M 255.255.255.0
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -m
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -w 1
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -x 10
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -y 5
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-interface lo
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --timeout
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --daemon
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --stats
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --rate
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --thresholds
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --persistent-conn
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --nosort
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --sort
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --syncid 1
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --exact
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -o
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --pe nosuch
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -b sh-port
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-group 224.0.0.82
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-port 8849
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --mcast-ttl 2
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --sync-maxlen 1400
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-type gue
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-port 6080
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-nocsum
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-csum
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 --tun-remcsum
ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.1:80 -6
ipvsadm -d
ipvsadm -d -r 10.0.1.1:80
ipvsadm --set 900 120 300 -n
ipvsadm --set 900 120 300 -c
ipvsadm --set 900 120 300 -t 10.0.0.1:80
ipvsadm --set 900 120 300 -s rr
ipvsadm --set 900 120 300 -p 60
ipvsadm --set 900 120 300 -M 255.255.255.0
ipvsadm --set 900 120 300 -r 10.0.1.1:80
ipvsadm --set 900 120 300 -m
ipvsadm --set 900 120 300 -w 1
ipvsadm --set 900 120 300 -x 10
ipvsadm --set 900 120 300 -y 5
ipvsadm --set 900 120 300 --mcast-interface lo
ipvsadm --set 900 120 300 --timeout
ipvsadm --set 900 120 300 --daemon
ipvsadm --set 900 120 300 --stats
ipvsadm --set 900 120 300 --rate
ipvsadm --set 900 120 300 --thresholds
ipvsadm --set 900 120 300 --persistent-conn
ipvsadm --set 900 120 300 --nosort
ipvsadm --set 900 120 300 --sort
ipvsadm --set 900 120 300 --syncid 1
ipvsadm --set 900 120 300 --exact
ipvsadm --set 900 120 300 -o
ipvsadm --set 900 120 300 --pe nosuch
ipvsadm --set 900 120 300 -b sh-port
ipvsadm --set 900 120 300 --mcast-group 224.0.0.82
ipvsadm --set 900 120 300 --mcast-port 8849
ipvsadm --set 900 120 300 --mcast-ttl 2
ipvsadm --set 900 120 300 --sync-maxlen 1400
ipvsadm --set 900 120 300 --tun-type gue
ipvsadm --set 900 120 300 --tun-port 6080
ipvsadm --set 900 120 300 --tun-nocsum
ipvsadm --set 900 120 300 --tun-csum
ipvsadm --set 900 120 300 --tun-remcsum
ipvsadm --set 900 120 300 -6
ipvsadm --start-daemon backup -n
ipvsadm --start-daemon backup -c
ipvsadm --start-daemon backup -t 10.0.0.1:80
ipvsadm --start-daemon backup -s rr
ipvsadm --start-daemon backup -p 60
ipvsadm --start-daemon backup -M 255.255.255.0
ipvsadm --start-daemon backup -r 10.0.1.1:80
ipvsadm --start-daemon backup -m
ipvsadm --start-daemon backup -w 1
ipvsadm --start-daemon backup -x 10
ipvsadm --start-daemon backup -y 5
ipvsadm --start-daemon backup --mcast-interface lo
ipvsadm --start-daemon backup --timeout
ipvsadm --start-daemon backup --daemon
ipvsadm --start-daemon backup --stats
ipvsadm --start-daemon backup --rate
ipvsadm --start-daemon backup --thresholds
ipvsadm --start-daemon backup --persistent-conn
ipvsadm --start-daemon backup --nosort
ipvsadm --start-daemon backup --sort
ipvsadm --start-daemon backup --syncid 1
ipvsadm --start-daemon backup --exact
ipvsadm --start-daemon backup -o
ipvsadm --start-daemon backup --pe nosuch
ipvsadm --start-daemon backup -b sh-port
ipvsadm --start-daemon backup --mcast-group 224.0.0.82
ipvsadm --start-daemon backup --mcast-port 8849
ipvsadm --start-daemon backup --mcast-ttl 2
ipvsadm --start-daemon backup --sync-maxlen 1400
ipvsadm --start-daemon backup --tun-type gue
ipvsadm --start-daemon backup --tun-port 6080
ipvsadm --start-daemon backup --tun-nocsum
ipvsadm --start-daemon backup --tun-csum
ipvsadm --start-daemon backup --tun-remcsum
ipvsadm --start-daemon backup -6
ipvsadm --stop-daemon backup -n
ipvsadm --stop-daemon backup -c
ipvsadm --stop-daemon backup -t 10.0.0.1:80
ipvsadm --stop-daemon backup -s rr
ipvsadm --stop-daemon backup -p 60
ipvsadm --stop-daemon backup -M 255.255.255.0
ipvsadm --stop-daemon backup -r 10.0.1.1:80
ipvsadm --stop-daemon backup -m
ipvsadm --stop-daemon backup -w 1
ipvsadm --stop-daemon backup -x 10
ipvsadm --stop-daemon backup -y 5
ipvsadm --stop-daemon backup --mcast-interface lo
ipvsadm --stop-daemon backup --timeout
ipvsadm --stop-daemon backup --daemon
ipvsadm --stop-daemon backup --stats
ipvsadm --stop-daemon backup --rate
ipvsadm --stop-daemon backup --thresholds
ipvsadm --stop-daemon backup --persistent-conn
ipvsadm --stop-daemon backup --nosort
ipvsadm --stop-daemon backup --sort
ipvsadm --stop-daemon backup --syncid 1
ipvsadm --stop-daemon backup --exact
ipvsadm --stop-daemon backup -o
ipvsadm --stop-daemon backup --pe nosuch
ipvsadm --stop-daemon backup -b sh-port
ipvsadm --stop-daemon backup --mcast-group 224.0.0.82
ipvsadm --stop-daemon backup --mcast-port 8849
ipvsadm --stop-daemon backup --mcast-ttl 2
ipvsadm --stop-daemon backup --sync-maxlen 1400
ipvsadm --stop-daemon backup --tun-type gue
ipvsadm --stop-daemon backup --tun-port 6080
ipvsadm --stop-daemon backup --tun-nocsum
ipvsadm --stop-daemon backup --tun-csum
ipvsadm --stop-daemon backup --tun-remcsum
ipvsadm --stop-daemon backup -6
ipvsadm -R -n
ipvsadm -R -c
ipvsadm -R -t 10.0.0.1:80
ipvsadm -R -s rr
ipvsadm -R -p 60
ipvsadm -R -M 255.255.255.0
ipvsadm -R -r 10.0.1.1:80
ipvsadm -R -m
ipvsadm -R -w 1
ipvsadm -R -x 10
ipvsadm -R -y 5
ipvsadm -R --mcast-interface lo
ipvsadm -R --timeout
ipvsadm -R --daemon
ipvsadm -R --stats
ipvsadm -R --rate
ipvsadm -R --thresholds
ipvsadm -R --persistent-conn
ipvsadm -R --nosort
ipvsadm -R --sort
ipvsadm -R --syncid 1
ipvsadm -R --exact
ipvsadm -R -o
ipvsadm -R --pe nosuch
ipvsadm -R -b sh-port
ipvsadm -R --mcast-group 224.0.0.82
ipvsadm -R --mcast-port 8849
ipvsadm -R --mcast-ttl 2
ipvsadm -R --sync-maxlen 1400
ipvsadm -R --tun-type gue
ipvsadm -R --tun-port 6080
ipvsadm -R --tun-nocsum
ipvsadm -R --tun-csum
ipvsadm -R --tun-remcsum
ipvsadm -R -6
ipvsadm -S -n
ipvsadm -S -c
ipvsadm -S -t 10.0.0.1:80
ipvsadm -S -s rr
ipvsadm -S -p 60
ipvsadm -S -M 255.255.255.0
ipvsadm -S -r 10.0.1.1:80
ipvsadm -S -m
ipvsadm -S -w 1
ipvsadm -S -x 10
ipvsadm -S -y 5
ipvsadm -S --mcast-interface lo
ipvsadm -S --timeout
ipvsadm -S --daemon
ipvsadm -S --stats
ipvsadm -S --rate
ipvsadm -S --thresholds
ipvsadm -S --persistent-conn
ipvsadm -S --nosort
ipvsadm -S --sort
ipvsadm -S --syncid 1
ipvsadm -S --exact
ipvsadm -S -o
ipvsadm -S --pe nosuch
ipvsadm -S -b sh-port
ipvsadm -S --mcast-group 224.0.0.82
ipvsadm -S --mcast-port 8849
ipvsadm -S --mcast-ttl 2
ipvsadm -S --sync-maxlen 1400
ipvsadm -S --tun-type gue
ipvsadm -S --tun-port 6080
ipvsadm -S --tun-nocsum
ipvsadm -S --tun-csum
ipvsadm -S --tun-remcsum
ipvsadm -S -6
ipvsadm -Z -n
ipvsadm -Z -c
ipvsadm -Z -t 10.0.0.1:80
ipvsadm -Z -s rr
ipvsadm -Z -p 60
ipvsadm -Z -M 255.255.255.0
ipvsadm -Z -r 10.0.1.1:80
ipvsadm -Z -m
ipvsadm -Z -w 1
ipvsadm -Z -x 10
ipvsadm -Z -y 5
ipvsadm -Z --mcast-interface lo
ipvsadm -Z --timeout
ipvsadm -Z --daemon
ipvsadm -Z --stats
ipvsadm -Z --rate
ipvsadm -Z --thresholds
ipvsadm -Z --persistent-conn
ipvsadm -Z --nosort
ipvsadm -Z --sort
ipvsadm -Z --syncid 1
ipvsadm -Z --exact
ipvsadm -Z -o
ipvsadm -Z --pe nosuch
ipvsadm -Z -b sh-port
ipvsadm -Z --mcast-group 224.0.0.82
ipvsadm -Z --mcast-port 8849
ipvsadm -Z --mcast-ttl 2
ipvsadm -Z --sync-maxlen 1400
ipvsadm -Z --tun-type gue
ipvsadm -Z --tun-port 6080
ipvsadm -Z --tun-nocsum
ipvsadm -Z --tun-csum
ipvsadm -Z --tun-remcsum
ipvsadm -Z -6
ipvsadm -L -c -t 10.0.0.1:80
ipvsadm -L -c --timeout
ipvsadm -L -c --daemon
ipvsadm -L -t 10.0.0.1:80 -c
ipvsadm -L -t 10.0.0.1:80 --timeout
ipvsadm -L -t 10.0.0.1:80 --daemon
ipvsadm -L --timeout -c
ipvsadm -L --timeout -t 10.0.0.1:80
ipvsadm -L --timeout --daemon
ipvsadm -L --daemon -c
ipvsadm -L --daemon -t 10.0.0.1:80
ipvsadm -L --daemon --timeout
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-csum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-port 6080 --tun-nocsum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type ipip
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-port 6080 --tun-nocsum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gue
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-nocsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-csum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-port 6080 --tun-nocsum --tun-remcsum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre --tun-nocsum --tun-csum
ipvsadm -a -t 10.0.0.1:80 -r 10.0.2.9 -i --tun-type gre
ipvsadm -S -n
