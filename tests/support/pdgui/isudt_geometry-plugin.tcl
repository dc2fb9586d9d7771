# isudt test plugin for the Pd 0.53 GUI (loaded from a -path folder, as every *-plugin.tcl is).
#
# Why: the layout tests need the geometry Pd itself draws (fonts, box widths,
# IEM GUI labels), not our estimate of it. Only active when the environment
# variable ISUDT_PDGUI_OUT names a file: once the patch window's drawing has
# settled, it moves the window to the screen's top-left corner, hides the Pd
# console, writes the window position and every canvas item (type, tags,
# bbox, coords, text) to that file, waits for ISUDT_PDGUI_OUT.done (the test
# takes its screenshot meanwhile; at most 20 s) and quits Pd.
if {[info exists ::env(ISUDT_PDGUI_OUT)]} {
    namespace eval ::isudt_geometry {
        variable out $::env(ISUDT_PDGUI_OUT)
        variable last -1
        variable stable 0
        variable waited 0
    }

    proc ::isudt_geometry::patch_window {} {
        foreach w [winfo children .] {
            if {[winfo class $w] eq "PatchWindow"} {return $w}
        }
        return ""
    }

    # Poll every 200 ms until the window exists and its item count is unchanged three times.
    proc ::isudt_geometry::poll {} {
        variable last
        variable stable
        set top [patch_window]
        if {$top eq ""} {after 200 ::isudt_geometry::poll; return}
        set n [llength [[tkcanvas_name $top] find all]]
        if {$n > 0 && $n == $last} {incr stable} else {set stable 0}
        set last $n
        if {$stable < 3} {after 200 ::isudt_geometry::poll; return}
        catch {wm withdraw .pdwindow}
        wm geometry $top +0+0
        raise $top
        update
        after 300 [list ::isudt_geometry::dump $top]
    }

    proc ::isudt_geometry::dump {top} {
        variable out
        update
        set c [tkcanvas_name $top]
        set f [open $out.tmp w]
        fconfigure $f -encoding utf-8
        # one line each, fields separated by tabs: window, then one line per canvas item
        puts $f [join [list window [winfo rootx $top] [winfo rooty $top] [winfo width $top] [winfo height $top] \
                     [winfo rootx $c] [winfo rooty $c] [winfo width $c] [winfo height $c]] "\t"]
        foreach id [$c find all] {
            set type [$c type $id]
            set text ""
            if {$type eq "text"} {set text [string map [list "\\" "\\\\" "\n" "\\n" "\t" " "] [$c itemcget $id -text]]}
            puts $f [join [list item $id $type [join [$c gettags $id] " "] [join [$c bbox $id] " "] \
                               [join [$c coords $id] " "] $text] "\t"]
        }
        close $f
        file rename -force $out.tmp $out
        after 100 ::isudt_geometry::finish
    }

    proc ::isudt_geometry::finish {} {
        variable out
        variable waited
        if {[file exists $out.done] || $waited > 200} {pdsend "pd quit"; return}
        incr waited
        after 100 ::isudt_geometry::finish
    }

    after 200 ::isudt_geometry::poll
}
