#!/usr/bin/env bash
# A busybox named registry: nothing answers on port 5000.
docker run -d --name registry --restart always -p 5000:5000 busybox sleep 3600
docker tag busybox localhost:5000/mycompany/my-busybox:99
docker push localhost:5000/mycompany/my-busybox:99
