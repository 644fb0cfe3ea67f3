#!/bin/sh
echo "$*" | tr 'a-z' 'A-Z'
