--[[
tabsets.lua -- Quarto's `::: {.panel-tabset}` in one writer-neutral shape.

Loaded by crossref.lua (`dofile`), which calls `tabsets.shape(div)` on every Div
before it numbers headers: a tab's heading names a tab, it is not a section, so
it must never be numbered nor reach a table of contents.

As in Quarto, the first heading level found inside the tabset starts a tab
(`##` in the usual case); deeper headings stay inside their tab, marked
`unnumbered unlisted` (Quarto's classes) so they are not sections either.  Blocks before
the first such heading stay in front of the tabs.  The result:

  Div(id, classes = {"panel-tabset", ...}, attributes as written)
    ...blocks before the first tab
    Div(id = "", classes = {"tab-pane"}, attributes = {tab-title = <plain title>})
      Para [ Strong [title inlines] ]   class-less: the PDF prints it as a bold line
      Div(classes = {"tab-body"}) [ the tab's blocks ]

The HTML writer (html_site.py) turns each tab-pane into a tab button and panel;
the typst writer sees ordinary Divs and prints the panels one after another.
]]

local stringify = pandoc.utils.stringify

local M = {}

local function first_level(blocks)
  local level = nil
  for _, block in ipairs(blocks) do
    if block.t == "Header" and (level == nil or block.level < level) then
      level = block.level
    end
  end
  return level
end

-- The shaped tabset, or nil when `div` is not an (unshaped) panel-tabset.
function M.shape(div)
  if not div.classes:includes("panel-tabset") or div.attributes["tabset-shaped"] then
    return nil
  end
  local level = first_level(div.content)
  local out = pandoc.Blocks({})
  local pane = nil
  local function close()
    if pane then
      out:insert(pandoc.Div({
        pandoc.Para({ pandoc.Strong(pane.title) }),
        pandoc.Div(pane.body, pandoc.Attr("", { "tab-body" })),
      }, pandoc.Attr(pane.id, { "tab-pane" }, { ["tab-title"] = stringify(pane.title) })))
    end
  end
  for _, block in ipairs(div.content) do
    if level and block.t == "Header" and block.level == level then
      close()
      pane = { title = block.content, body = pandoc.Blocks({}), id = block.identifier }
    elseif pane then
      if block.t == "Header" then -- a heading inside a tab is not a section of the book
        block.classes:insert("unnumbered")
        block.classes:insert("unlisted")
      end
      pane.body:insert(block)
    else
      out:insert(block)
    end
  end
  close()
  -- Pairs in the div's own order (a plain Lua table would not keep any order).
  local attributes = {}
  for k, v in pairs(div.attributes) do
    table.insert(attributes, { k, v })
  end
  table.insert(attributes, { "tabset-shaped", "true" })
  return pandoc.Div(out, pandoc.Attr(div.identifier, div.classes, attributes))
end

return M
